"""One camera's live feed: the latest frame, its viewers' slots, and whether it is wanted.

Memory is bounded whatever the source rate: the feed keeps one frame, and each viewer a
slot holding at most one (the newest it has not yet been sent). A frame that arrives
before a viewer took the previous one replaces it: drop-oldest, never a queue, so a slow
viewer loses frames and the others do not wait for it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

__all__ = ["CameraFeed", "Frame", "ViewerSlot"]


@dataclass(frozen=True, slots=True)
class Frame:
    """One JPEG frame as received; ``received_at_s`` is on the relay's monotonic clock."""

    seq: int
    data: bytes
    received_at_s: float


class ViewerSlot:
    """The newest frame one viewer has not been sent yet, and an event saying there is one."""

    __slots__ = ("_frame", "_ready", "dropped", "offered")

    def __init__(self) -> None:
        self._frame: Frame | None = None
        self._ready = asyncio.Event()
        self.offered = 0
        self.dropped = 0

    def offer(self, frame: Frame) -> None:
        """Put ``frame`` in the slot, replacing (dropping) one the viewer did not take."""
        if self._frame is not None:
            self.dropped += 1
        self._frame = frame
        self.offered += 1
        self._ready.set()

    async def next_frame(self) -> Frame:
        """Wait for and take the newest frame."""
        while self._frame is None:
            self._ready.clear()
            await self._ready.wait()
        frame, self._frame = self._frame, None
        self._ready.clear()
        return frame

    def take_newer(self, frame: Frame) -> Frame:
        """The slot's frame if one arrived since ``frame`` was taken, else ``frame``."""
        if self._frame is None:
            return frame
        newer, self._frame = self._frame, None
        self._ready.clear()
        self.dropped += 1  # the frame we were holding is now skipped
        return newer

    @property
    def holding(self) -> bool:
        """True while a frame waits in the slot."""
        return self._frame is not None


class CameraFeed:
    """The live state of one camera in this relay process."""

    def __init__(self, camera_id: str, grace_s: float) -> None:
        self.camera_id = camera_id
        self.grace_s = grace_s
        self.latest: Frame | None = None
        self.frames_accepted = 0
        self.frames_paused = 0
        self._seq = 0
        self._viewers: set[ViewerSlot] = set()
        self._last_left_at_s: float | None = None
        self._wanted = False
        self._changed = asyncio.Event()

    @property
    def viewer_count(self) -> int:
        """How many viewers are attached now."""
        return len(self._viewers)

    @property
    def wanted(self) -> bool:
        """True while someone watches, or within the grace period after the last left."""
        return self._wanted

    def demand_changed(self) -> asyncio.Event:
        """An event set the next time :attr:`wanted` flips (take a fresh one after each)."""
        return self._changed

    def attach(self, now_s: float, stale_after_s: float) -> ViewerSlot:
        """Add a viewer; it gets the kept frame at once when that frame is still fresh."""
        slot = ViewerSlot()
        self._viewers.add(slot)
        if self.latest is not None and now_s - self.latest.received_at_s <= stale_after_s:
            slot.offer(self.latest)
        self.refresh(now_s)
        return slot

    def detach(self, slot: ViewerSlot, now_s: float) -> None:
        """Remove a viewer; the source stays wanted for the grace period."""
        if slot in self._viewers:
            self._viewers.discard(slot)
            if not self._viewers:
                self._last_left_at_s = now_s
        self.refresh(now_s)

    def refresh(self, now_s: float) -> bool:
        """Recompute :attr:`wanted` at ``now_s``; return True when it flipped."""
        wanted = bool(self._viewers) or (
            self._last_left_at_s is not None and now_s - self._last_left_at_s < self.grace_s
        )
        if wanted == self._wanted:
            return False
        self._wanted = wanted
        if not wanted:
            self.latest = None  # nobody may see it any more: do not keep footage around
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()
        return True

    def publish(self, data: bytes, now_s: float) -> Frame | None:
        """Keep ``data`` as the latest frame and offer it to every viewer; None when unwanted."""
        if not self._wanted:
            self.frames_paused += 1
            return None
        self._seq += 1
        frame = Frame(self._seq, data, now_s)
        self.latest = frame
        self.frames_accepted += 1
        for slot in self._viewers:
            slot.offer(frame)
        return frame
