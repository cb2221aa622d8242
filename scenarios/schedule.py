"""Events due at a scenario time, stamped with the wall clock when they are sent.

A scenario runs on its own clock (N times faster than the wall clock), but every event is
stamped with the time it is actually sent: the system judges evidence by real time, and a
report from the future would be refused.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

__all__ = ["KST", "TIME_FIELDS", "Due", "Schedule"]

KST = timezone(timedelta(hours=9))

TIME_FIELDS = {
    "calls": "received_at",
    "cctv-events": "detected_at",
    "sensor-alarms": "measured_at",
    "unit-status": "at",
    "er-status": "at",
}


@dataclass(order=True, slots=True)
class Due:
    """One event to send at scenario second ``at_s`` (its time field is filled when sent)."""

    at_s: float
    seq: int
    topic: str = field(compare=False)
    key: str = field(compare=False)
    value: dict[str, Any] = field(compare=False)


def iso(at: datetime) -> str:
    """An ISO 8601 time in KST with milliseconds (the contract's format)."""
    return at.astimezone(KST).isoformat(timespec="milliseconds")


class Schedule:
    """A queue of due events, earliest first."""

    def __init__(self) -> None:
        self._heap: list[Due] = []
        self._seq = 0

    def add(self, at_s: float, topic: str, key: str, value: dict[str, Any]) -> None:
        """Schedule an event at scenario second ``at_s``."""
        self._seq += 1
        heapq.heappush(self._heap, Due(at_s, self._seq, topic, key, value))

    def pop_due(self, now_s: float) -> list[Due]:
        """Every event due by ``now_s``, in order."""
        out = []
        while self._heap and self._heap[0].at_s <= now_s:
            out.append(heapq.heappop(self._heap))
        return out

    def next_at_s(self) -> float | None:
        """When the next event is due (None when empty)."""
        return self._heap[0].at_s if self._heap else None

    def __len__(self) -> int:
        return len(self._heap)
