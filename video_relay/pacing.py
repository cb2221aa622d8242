"""Per-viewer caps: when a viewer may get its next frame (frame rate and bandwidth)."""

from __future__ import annotations

import math

__all__ = ["Pacer"]


class Pacer:
    """Frame-rate cap plus a token bucket in bytes; pure, driven by the caller's clock.

    Over any window of ``w`` seconds a viewer gets at most ``w * max_fps + 2`` frames and
    ``w * max_bps + burst_bytes`` bytes plus one frame (a frame larger than the bucket is
    still sent whole, and the bucket goes into debt).
    """

    def __init__(self, max_fps: float, max_bps: float, *, burst_s: float = 0.5) -> None:
        if max_fps <= 0 or max_bps <= 0 or burst_s <= 0:
            raise ValueError("max_fps, max_bps and burst_s must be positive")
        self.max_fps = max_fps
        self.max_bps = max_bps
        self._interval_s = 1.0 / max_fps
        self._capacity = max_bps * burst_s
        self._tokens = self._capacity
        self._next_at = -math.inf
        self._refilled_at: float | None = None

    def delay_s(self, now: float) -> float:
        """Seconds to wait from ``now`` before the next frame may be sent (0 = send now)."""
        self._refill(now)
        fps_wait = self._next_at - now
        bandwidth_wait = -self._tokens / self.max_bps if self._tokens < 0 else 0.0
        return max(0.0, fps_wait, bandwidth_wait)

    def sent(self, now: float, size_bytes: int) -> None:
        """Record that a frame of ``size_bytes`` went out at ``now``."""
        self._refill(now)
        self._tokens -= size_bytes
        # Credit-based schedule absorbs arrival jitter; debt is capped at one interval so
        # an idle viewer gets at most a burst of two frames.
        self._next_at = max(self._next_at, now - self._interval_s) + self._interval_s

    def _refill(self, now: float) -> None:
        if self._refilled_at is not None and now > self._refilled_at:
            elapsed = now - self._refilled_at
            self._tokens = min(self._capacity, self._tokens + elapsed * self.max_bps)
        if self._refilled_at is None or now > self._refilled_at:
            self._refilled_at = now
