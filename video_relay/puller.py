"""Pull mode: the relay reads a camera's MJPEG-over-HTTP stream while someone watches it."""

from __future__ import annotations

import asyncio
import functools
import logging

import httpx

from video_relay.errors import BadFrame, MjpegError, PullRefused
from video_relay.jpeg import check_jpeg
from video_relay.mjpeg import MjpegParser, boundary_from_content_type
from video_relay.relay import Relay

__all__ = ["Puller"]

log = logging.getLogger(__name__)


class Puller:
    """Starts a named pull task per wanted camera that has an MJPEG URL; stops it when unwanted."""

    def __init__(self, relay: Relay, client: httpx.AsyncClient) -> None:
        self._relay = relay
        self._client = client
        self.connections = 0

    async def reconcile(self) -> None:
        """Bring the running pulls in line with which cameras are wanted now."""
        tasks = self._relay.tasks
        for camera_id, url in self._relay.registry.pull_targets().items():
            name = f"pull:{camera_id}"
            wanted = self._relay.hub.feed(camera_id).wanted
            if wanted and not tasks.running(name):
                tasks.start(name, functools.partial(self._pull, camera_id, url))
            elif not wanted and tasks.running(name):
                await tasks.stop(name)
        self._relay.metrics.pulls.set(sum(1 for name in tasks.names() if name.startswith("pull:")))

    async def _pull(self, camera_id: str, url: str) -> None:
        """Read the stream and publish its frames, reconnecting after a failure."""
        relay = self._relay
        while True:
            try:
                await self._read(camera_id, url)
            except (httpx.HTTPError, MjpegError, PullRefused) as exc:
                log.warning("pull of %s failed: %s", camera_id, exc)  # the URL may hold credentials
            await asyncio.sleep(relay.config.pull_reconnect_s)

    async def _read(self, camera_id: str, url: str) -> None:
        relay = self._relay
        feed = relay.hub.feed(camera_id)
        limit = relay.config.max_frame_bytes
        async with self._client.stream("GET", url) as response:
            response.raise_for_status()
            self.connections += 1
            parser = MjpegParser(
                boundary_from_content_type(response.headers.get("content-type", "")), limit
            )
            async for chunk in response.aiter_raw():
                for data in parser.feed(chunk):
                    try:
                        check_jpeg(data, limit)
                    except BadFrame:
                        relay.metrics.frames_in.labels("rejected").inc()
                        continue
                    accepted = feed.publish(data, relay.monotonic()) is not None
                    relay.metrics.frames_in.labels("accepted" if accepted else "paused").inc()
