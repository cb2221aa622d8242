"""Simulated crews: assigned units drive, arrive, treat, transport, and become available.

All times are scenario seconds (the scenario clock's speed compresses them): a unit
reports en route at once, on scene after the ETA its assignment carries, works there for
the pace file's on-scene time; an ambulance then transports one patient in ``transport
share`` of its runs to the nearest emergency room and hands over; the unit is available
where it is, and back at its station after the drive home.
"""

from __future__ import annotations

import math
import random
from typing import Any

from geo import City
from scenarios.pace import CrewTimes
from scenarios.schedule import Schedule

__all__ = ["CrewSimulator"]

ROAD_FACTOR = 1.3
"""Road distance per straight-line distance in a city grid (for drives not routed)."""


class CrewSimulator:
    """Turns assignments into the unit-status reports crews would send."""

    def __init__(
        self, city: City, times: CrewTimes, rng: random.Random, schedule: Schedule
    ) -> None:
        self._times, self._rng, self._schedule = times, rng, schedule
        self._home = {u.unit_id: (st.lon, st.lat, st.id) for st in city.stations for u in st.units}
        self._ers = [(f.lon, f.lat) for f in city.facilities if f.kind == "emergency_room"]
        self._job: dict[str, int] = {}  # unit → its current job number (stale reports skipped)
        self._on_job: set[str] = set()
        self._jobs = 0
        self.counts = {"assignments": 0, "transports": 0, "cleared": 0}

    @property
    def busy(self) -> frozenset[str]:
        """Units on a job or driving home (their reports come from here)."""
        return frozenset(self._job)

    def on_assignment(self, assignment: dict[str, Any], now_s: float) -> None:
        """Plan the reports of a unit that was just assigned (ignores other statuses)."""
        unit_id = assignment.get("unit_id", "")
        if assignment.get("status") != "assigned" or unit_id not in self._home:
            return
        if unit_id in self._on_job:
            return  # already working: a second order waits until it clears
        self._jobs += 1
        job = self._jobs
        self._job[unit_id] = job
        self._on_job.add(unit_id)
        self.counts["assignments"] += 1
        rng, t = self._rng, self._times
        kind = assignment.get("unit_kind") or "engine"
        home_lon, home_lat, station_id = self._home[unit_id]
        scene = _route_end(assignment) or (home_lon, home_lat)
        base = {"unit_id": unit_id, "kind": kind, "station_id": station_id, "job": job}
        incident = {"incident_id": assignment["incident_id"]}
        travel_s = max(30.0, float(assignment.get("eta_s") or 300.0))
        low, high = t.on_scene_s.get(kind, (1200.0, 3600.0))
        at = now_s + 1.0
        self._report(at, {**base, **incident, "status": "en_route"}, (home_lon, home_lat))
        at += travel_s
        self._report(at, {**base, **incident, "status": "on_scene"}, scene)
        at += rng.uniform(low, high)
        here = scene
        if kind == "ambulance" and self._ers and rng.random() < t.transport_share:
            er = min(self._ers, key=lambda e: _metres(scene, e))
            self.counts["transports"] += 1
            self._report(at, {**base, **incident, "status": "transporting"}, scene)
            at += _drive_s(scene, er, t.transport_speed_kph)
            self._report(at, {**base, **incident, "status": "at_hospital"}, er)
            at += rng.uniform(*t.handover_s)
            here = er
        self._report(at, {**base, "status": "available", "cleared": True}, here)
        at += _drive_s(here, (home_lon, home_lat), t.transport_speed_kph)
        self._report(at, {**base, "status": "available", "home": True}, (home_lon, home_lat))

    def _report(self, at_s: float, report: dict[str, Any], where: tuple[float, float]) -> None:
        value = {**report, "location": {"lon": round(where[0], 6), "lat": round(where[1], 6)}}
        self._schedule.add(at_s, "unit-status", report["unit_id"], value)

    def release(self, value: dict[str, Any]) -> dict[str, Any] | None:
        """The report to send for a due crew report (None when its job is stale)."""
        unit_id = value["unit_id"]
        job = value.get("job")
        if self._job.get(unit_id) != job:
            return None
        out = {k: v for k, v in value.items() if k not in ("job", "cleared", "home")}
        if value.get("cleared"):
            self._on_job.discard(unit_id)  # may take a new order from where it is
            self.counts["cleared"] += 1
        if value.get("home"):
            del self._job[unit_id]
        return out


def _route_end(assignment: dict[str, Any]) -> tuple[float, float] | None:
    route = assignment.get("route") or {}
    coords = route.get("coordinates") if isinstance(route, dict) else None
    if coords:
        lon, lat = coords[-1][:2]
        return float(lon), float(lat)
    return None


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    dx = (a[0] - b[0]) * 111_320.0 * math.cos(math.radians(a[1]))
    dy = (a[1] - b[1]) * 111_320.0
    return math.hypot(dx, dy)


def _drive_s(a: tuple[float, float], b: tuple[float, float], speed_kph: float) -> float:
    return max(60.0, _metres(a, b) * ROAD_FACTOR / (speed_kph / 3.6))
