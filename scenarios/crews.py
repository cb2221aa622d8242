"""Simulated crews: assigned units drive, arrive, treat, transport, and become available.

All times are scenario seconds (the scenario clock's speed compresses them): a unit
reports en route at once, on scene after the ETA its assignment carries, works there for
the pace file's on-scene time. A new route around a closed structure, while on the way,
moves the arrival to when the new route gets there. An ambulance that transports
(``transport share`` of its runs) reports its patient's condition with "on scene"
(``scenarios.patients``), and when it leaves takes the patient to the emergency room its
destination names (the system's recommendation or the crew's choice, from the
``destinations`` topic), else the nearest; a new destination that diverts it while it
drives there (``diverted_from``) turns it, from where it has got to, to the new ER; it
hands over (a bed taken on the ``ErBoard``); the unit is available where it is, and back at
its station after the drive home.
"""

from __future__ import annotations

import math
import random
from typing import Any

from geo import City
from scenarios.er_board import ErBoard
from scenarios.pace import CrewTimes
from scenarios.patients import draw_patient
from scenarios.schedule import Schedule

__all__ = ["CrewSimulator"]

ROAD_FACTOR = 1.3
"""Road distance per straight-line distance in a city grid (for drives not routed)."""


class CrewSimulator:
    """Turns assignments into the unit-status reports crews would send."""

    def __init__(
        self,
        city: City,
        times: CrewTimes,
        rng: random.Random,
        schedule: Schedule,
        board: ErBoard | None = None,
    ) -> None:
        self._times, self._rng, self._schedule = times, rng, schedule
        self._home = {u.unit_id: (st.lon, st.lat, st.id) for st in city.stations for u in st.units}
        self._ers = {
            f.id.removeprefix("ER-"): (f.lon, f.lat)
            for f in city.facilities
            if f.kind == "emergency_room"
        }
        self.board = board
        self._job: dict[str, int] = {}  # unit → its current job number (stale reports skipped)
        self._on_job: set[str] = set()
        # unit → (incident, when it left, when it arrives) while it drives to a scene
        self._driving: dict[str, tuple[str, float, float]] = {}
        self._jobs = 0
        self._types: dict[str, str] = {}  # incident → its type (the latest known)
        self._destinations: dict[tuple[str, str], str] = {}  # (unit, incident) → hospital
        # unit → (its reports' base, incident, from where and when it left, arrival, hospital)
        self._carrying: dict[
            str, tuple[dict[str, Any], str, tuple[float, float], float, float, str]
        ] = {}
        self.counts = {
            "assignments": 0,
            "transports": 0,
            "cleared": 0,
            "to_destination": 0,
            "diverted": 0,
        }

    def on_incident(self, incident: dict[str, Any]) -> None:
        """Remember an incident's type (what the crew will find there)."""
        if len(self._types) > 20_000:  # the oldest go: crews only ask about live ones
            for key in list(self._types)[:10_000]:
                del self._types[key]
        self._types[str(incident.get("id"))] = str(incident.get("type") or "other")

    def on_destination(self, destination: dict[str, Any], now_s: float = 0.0) -> None:
        """Where a unit is to take its patient (the latest record wins); one that diverts a
        unit on its way turns it there from where it has got to."""
        key = (str(destination.get("unit_id")), str(destination.get("incident_id")))
        hospital = str(destination.get("hospital_id"))
        carrying = self._carrying.get(key[0])
        if carrying is None or not destination.get("diverted_from"):
            self._destinations[key] = hospital
            return
        base, incident_id, start, left_s, arrive_s, going = carrying
        if incident_id != key[1] or hospital == going or hospital not in self._ers:
            return
        done = min(1.0, max(0.0, (now_s - left_s) / max(arrive_s - left_s, 1e-9)))
        er = self._ers[going]
        here = (start[0] + (er[0] - start[0]) * done, start[1] + (er[1] - start[1]) * done)
        self._jobs += 1  # the reports planned for the ER it leaves aside are stale
        self._job[key[0]] = self._jobs
        self.counts["diverted"] += 1
        self._drive_to(now_s, {**base, "job": self._jobs}, incident_id, here, hospital)

    @property
    def busy(self) -> frozenset[str]:
        """Units on a job or driving home (their reports come from here)."""
        return frozenset(self._job)

    def on_assignment(self, assignment: dict[str, Any], now_s: float) -> None:
        """Plan the reports of a unit that was just assigned (ignores other statuses)."""
        unit_id = assignment.get("unit_id", "")
        if assignment.get("status") != "assigned" or unit_id not in self._home:
            return
        driving = self._driving.get(unit_id)
        if unit_id in self._on_job:
            if not (
                assignment.get("rerouted_because")
                and driving is not None
                and driving[0] == assignment["incident_id"]
                and now_s < driving[2]
            ):
                return  # already working: a second order waits until it clears
            # a new route around a closure, on the way: the crew drives it from where it left
            self._plan(assignment, driving[1], rolling=True)
            return
        self.counts["assignments"] += 1
        self._plan(assignment, now_s + 1.0, rolling=False)

    def _plan(self, assignment: dict[str, Any], depart_s: float, rolling: bool) -> None:
        """The reports of one drive to a scene leaving at ``depart_s`` (``rolling``: the
        unit already reported en route) and of the work there."""
        unit_id = assignment["unit_id"]
        self._jobs += 1
        job = self._jobs
        self._job[unit_id] = job  # the reports of a former plan of this job are stale
        self._on_job.add(unit_id)
        rng, t = self._rng, self._times
        kind = assignment.get("unit_kind") or "engine"
        home_lon, home_lat, station_id = self._home[unit_id]
        scene = _route_end(assignment) or (home_lon, home_lat)
        base = {"unit_id": unit_id, "kind": kind, "station_id": station_id, "job": job}
        incident = {"incident_id": assignment["incident_id"]}
        travel_s = max(30.0, float(assignment.get("eta_s") or 300.0))
        low, high = t.on_scene_s.get(kind, (1200.0, 3600.0))
        at = depart_s
        if not rolling:
            self._report(at, {**base, **incident, "status": "en_route"}, (home_lon, home_lat))
        at += travel_s
        self._driving[unit_id] = (assignment["incident_id"], depart_s, at)
        transports = kind == "ambulance" and bool(self._ers) and rng.random() < t.transport_share
        on_scene = {**base, **incident, "status": "on_scene"}
        if transports:
            kind_of = self._types.get(assignment["incident_id"], "medical")
            on_scene["patient"] = draw_patient(kind_of, rng).as_contract()
        self._report(at, on_scene, scene)
        at += rng.uniform(low, high)
        if transports:  # where to is decided when the crew leaves (its destination by then)
            self._schedule.add(at, "unit-status", unit_id, {**base, **incident, "leave": scene})
            return
        self._clear(at, base, scene)

    def _clear(self, at: float, base: dict[str, Any], here: tuple[float, float]) -> None:
        """The unit is available where it is, then drives home."""
        home_lon, home_lat, _ = self._home[base["unit_id"]]
        self._report(at, {**base, "status": "available", "cleared": True}, here)
        at += _drive_s(here, (home_lon, home_lat), self._times.transport_speed_kph)
        self._report(at, {**base, "status": "available", "home": True}, (home_lon, home_lat))

    def _transport(self, value: dict[str, Any], at: float) -> dict[str, Any]:
        """The crew leaves with its patient: to its destination, else the nearest ER."""
        scene = (float(value["leave"][0]), float(value["leave"][1]))
        base = {k: value[k] for k in ("unit_id", "kind", "station_id", "job")}
        incident = {"incident_id": value["incident_id"]}
        chosen = self._destinations.pop((value["unit_id"], value["incident_id"]), None)
        if chosen in self._ers:
            self.counts["to_destination"] += 1
        else:
            chosen = min(self._ers, key=lambda h: _metres(scene, self._ers[h]))
        self.counts["transports"] += 1
        self._drive_to(at, base, value["incident_id"], scene, chosen)
        out = {**base, **incident, "status": "transporting"}
        return {**out, "location": {"lon": round(scene[0], 6), "lat": round(scene[1], 6)}}

    def _drive_to(
        self,
        at_s: float,
        base: dict[str, Any],
        incident_id: str,
        start: tuple[float, float],
        hospital: str,
    ) -> None:
        """The drive with a patient from ``start`` to an ER, its handover there, and the
        unit clearing after it."""
        er = self._ers[hospital]
        arrive = at_s + _drive_s(start, er, self._times.transport_speed_kph)
        self._carrying[base["unit_id"]] = (base, incident_id, start, at_s, arrive, hospital)
        handover = {**base, "incident_id": incident_id, "status": "at_hospital"}
        self._report(arrive, {**handover, "hospital": hospital}, er)
        self._clear(arrive + self._rng.uniform(*self._times.handover_s), base, er)

    def _report(self, at_s: float, report: dict[str, Any], where: tuple[float, float]) -> None:
        value = {**report, "location": {"lon": round(where[0], 6), "lat": round(where[1], 6)}}
        self._schedule.add(at_s, "unit-status", report["unit_id"], value)

    def release(self, value: dict[str, Any], at_s: float = 0.0) -> dict[str, Any] | None:
        """The report to send for a crew report due at ``at_s`` (None when its job is
        stale)."""
        unit_id = value["unit_id"]
        job = value.get("job")
        if self._job.get(unit_id) != job:
            return None
        if "leave" in value:
            value = self._transport(value, at_s)
        elif "hospital" in value:
            self._carrying.pop(unit_id, None)
            if self.board is not None:  # the handover takes a bed
                self.board.admit(value["hospital"], at_s, self.board.draw_stay_s(self._rng))
        out = {k: v for k, v in value.items() if k not in ("job", "cleared", "home", "hospital")}
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
