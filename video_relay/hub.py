"""All live feeds of this relay process, created on first use."""

from __future__ import annotations

from collections.abc import Iterator

from video_relay.feed import CameraFeed

__all__ = ["FeedHub"]


class FeedHub:
    """Feeds by camera id. A feed is small and kept once made, so a source and its viewers
    always meet on the same object; its frame is released when nobody wants it."""

    def __init__(self, grace_s: float) -> None:
        self._grace_s = grace_s
        self._feeds: dict[str, CameraFeed] = {}

    def feed(self, camera_id: str) -> CameraFeed:
        """The feed of ``camera_id``, created when absent."""
        feed = self._feeds.get(camera_id)
        if feed is None:
            feed = self._feeds[camera_id] = CameraFeed(camera_id, self._grace_s)
        return feed

    def get(self, camera_id: str) -> CameraFeed | None:
        """The feed of ``camera_id`` if it exists."""
        return self._feeds.get(camera_id)

    def __iter__(self) -> Iterator[CameraFeed]:
        return iter(list(self._feeds.values()))

    def tick(self, now_s: float) -> list[CameraFeed]:
        """End expired grace periods; return the feeds whose demand flipped."""
        return [feed for feed in self._feeds.values() if feed.refresh(now_s)]

    @property
    def viewer_count(self) -> int:
        """Viewers attached across all feeds."""
        return sum(feed.viewer_count for feed in self._feeds.values())
