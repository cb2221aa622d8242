"""Simulated crews: units that were assigned drive, arrive, work, and become available again.

Time is compressed so a demo shows the whole cycle in minutes: a unit reports en route at
once, on scene after its ETA divided by ``speedup``, and available after a service time.
"""

from __future__ import annotations

import heapq
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

KST = timezone(timedelta(hours=9))
SERVICE_S = {"ambulance": (240.0, 600.0), "engine": (180.0, 480.0)}
"""Simulated minutes on scene before a unit clears (compressed from real 20–60 minutes)."""


@dataclass(order=True)
class _Due:
    at: float
    seq: int
    report: dict[str, Any] = field(compare=False)


class CrewSimulator:
    """Turns assignments into the unit-status reports crews would send."""

    def __init__(self, rng: random.Random, speedup: float = 4.0) -> None:
        self._rng = rng
        self._speedup = speedup
        self._due: list[_Due] = []
        self._seq = 0
        self._busy: set[str] = set()

    @property
    def busy(self) -> frozenset[str]:
        """Units on a job (their reports come from here, not from the station)."""
        return frozenset(self._busy)

    def _schedule(self, at: float, report: dict[str, Any]) -> None:
        self._seq += 1
        heapq.heappush(self._due, _Due(at, self._seq, report))

    def on_assignment(
        self, assignment: dict[str, Any], now_s: float, origin: tuple[float, float]
    ) -> None:
        """Plan the reports of a unit that was just assigned (ignores other statuses)."""
        unit_id = assignment["unit_id"]
        if assignment.get("status") != "assigned" or unit_id in self._busy:
            return
        self._busy.add(unit_id)
        kind = assignment.get("unit_kind") or "engine"
        base = {"unit_id": unit_id, "kind": kind, "incident_id": assignment["incident_id"]}
        travel_s = max(5.0, float(assignment.get("eta_s") or 60.0) / self._speedup)
        low, high = SERVICE_S.get(kind, (180.0, 480.0))
        service_s = self._rng.uniform(low, high) / self._speedup
        self._schedule(now_s + 1.0, {**base, "status": "en_route", "location": origin})
        self._schedule(now_s + travel_s, {**base, "status": "on_scene", "location": None})
        self._schedule(
            now_s + travel_s + service_s,
            {**base, "status": "available", "location": None, "done": True},
        )

    def due(self, now_s: float, wall: datetime) -> list[dict[str, Any]]:
        """The reports due by ``now_s``, as unit-status events."""
        out = []
        while self._due and self._due[0].at <= now_s:
            report = heapq.heappop(self._due).report
            if report.pop("done", False):
                self._busy.discard(report["unit_id"])
                report.pop("incident_id", None)
            event = {**report, "at": wall.astimezone(KST).isoformat(timespec="milliseconds")}
            if event["location"] is None:
                event.pop("location")
            else:
                lon, lat = event["location"]
                event["location"] = {"lon": lon, "lat": lat}
            out.append(event)
        return out
