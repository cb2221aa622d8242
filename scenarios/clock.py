"""The scenario clock: a time of day that runs ``speed`` times faster than the wall clock.

The simulator publishes it to Redis (``<namespace>:scenario``, JSON, expiring when the
simulator stops) so that the console can show which scenario time the city is at.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from scenarios.schedule import KST, iso

__all__ = ["CLOCK_TTL_S", "ScenarioClock", "clock_key", "parse_start"]

CLOCK_TTL_S = 15
"""The published clock expires this long after the simulator's last update."""


def clock_key(namespace: str) -> str:
    """The Redis key holding a deployment's scenario clock."""
    return f"{namespace}:scenario"


def parse_start(text: str, now: datetime) -> datetime:
    """A scenario start: "" (now), "HH:MM" (today in KST) or an ISO 8601 time.

    >>> parse_start("12:30", datetime(2026, 5, 1, 3, 0, tzinfo=KST)).isoformat()
    '2026-05-01T12:30:00+09:00'
    """
    if not text:
        return now.astimezone(KST)
    if len(text) <= 5 and ":" in text:
        hour, minute = (int(x) for x in text.split(":"))
        return now.astimezone(KST).replace(hour=hour, minute=minute, second=0, microsecond=0)
    at = datetime.fromisoformat(text)
    return at if at.tzinfo else at.replace(tzinfo=KST)


class ScenarioClock:
    """Scenario time from a start, advancing ``speed`` scenario seconds per wall second."""

    def __init__(
        self, start: datetime, speed: float, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        if speed <= 0:
            raise ValueError("the scenario speed must be positive")
        self.start = start.astimezone(KST)
        self.speed = speed
        self._monotonic = monotonic
        self._t0 = monotonic()

    def now_s(self) -> float:
        """Scenario seconds since the start."""
        return (self._monotonic() - self._t0) * self.speed

    def at(self, scenario_s: float) -> datetime:
        """The scenario time of day ``scenario_s`` seconds after the start."""
        return self.start + timedelta(seconds=scenario_s)

    def wall_s_until(self, scenario_s: float) -> float:
        """Wall seconds until the scenario clock reaches ``scenario_s`` (0 if past)."""
        return max(0.0, (scenario_s - self.now_s()) / self.speed)

    def snapshot(self, scenario: str | None, counts: dict[str, Any]) -> dict[str, Any]:
        """What the console reads: scenario time, speed, scenario name and running counts."""
        now_s = self.now_s()
        return {
            "clock": iso(self.at(now_s)),
            "elapsed_s": round(now_s, 1),
            "speed": self.speed,
            "started_at": iso(self.start),
            "scenario": scenario,
            "counts": counts,
        }
