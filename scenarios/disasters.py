"""Disaster scenarios: scripted timelines, one TOML file each, played on top of a normal day.

A scenario file (see ``scenarios/library/*.toml``; copy one to make another, and point
``GT_SIM_SCENARIO`` or ``--scenario`` at its name or path) has a name, a one-line
description, a suggested start time, a default place, a list of ``[[events]]`` and a list
of ``[[expect]]``: the incidents the system must open when the scenario is played.

Event types: ``call`` (callers at a place), ``cctv`` (detections of one camera, one per
listed density), ``sensor`` (readings of one sensor, one per listed value), and ``surge``
(emergencies scattered over the city or a radius, with sensor alarms among them).
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scenarios.day import NormalDay
from scenarios.places import offset

__all__ = [
    "LIBRARY",
    "Expectation",
    "Scenario",
    "ScenarioError",
    "describe",
    "load_scenario",
    "scenario_names",
]

LIBRARY = Path(__file__).resolve().parent / "library"


class ScenarioError(ValueError):
    """A scenario file cannot be read or played."""


@dataclass(frozen=True, slots=True)
class Expectation:
    """Incidents a scenario must produce: ``at_least`` (and at most ``at_most``) of the given
    types, within ``within_m`` of a place when given, else anywhere."""

    def counts(self, incident_type: str, distance_m: float) -> bool:
        """Whether an incident of this type at this distance from the place counts."""
        typed = "*" in self.types or incident_type in self.types
        return typed and (self.within_m is None or distance_m <= self.within_m)

    types: tuple[str, ...]  # incident types that count ("*": any)
    at_least: int
    at_most: int | None
    within_m: float | None
    lon: float
    lat: float


@dataclass(frozen=True, slots=True)
class Scenario:
    """A scripted disaster timeline."""

    name: str
    description: str
    start: str  # HH:MM, KST
    duration_s: float
    lon: float
    lat: float
    events: tuple[dict[str, Any], ...]
    expect: tuple[Expectation, ...]
    path: Path

    def offset_s(self, event: dict[str, Any]) -> float:
        """When an event starts, in seconds after the scenario's start."""
        if "at_min" in event:
            return float(event["at_min"]) * 60.0
        if "at" in event:
            return _minutes_between(self.start, str(event["at"])) * 60.0
        return 0.0

    def play(self, day: NormalDay, at_s: float = 0.0) -> float:
        """Schedule every event on ``day`` from scenario second ``at_s``; when it ends."""
        for event in self.events:
            _play(self, event, day, at_s + self.offset_s(event))
        return at_s + self.duration_s


def _minutes_between(start: str, at: str) -> float:
    h0, m0 = (int(x) for x in start.split(":"))
    h1, m1 = (int(x) for x in at.split(":"))
    return float(((h1 * 60 + m1) - (h0 * 60 + m0)) % (24 * 60))


def _spread(event: dict[str, Any], count: int) -> list[float]:
    over_s = float(event.get("over_min", 0.0)) * 60.0
    every_s = event.get("every_min")
    if every_s is not None:
        return [k * float(every_s) * 60.0 for k in range(count)]
    return [over_s * k / max(1, count - 1) if count > 1 else 0.0 for k in range(count)]


def _play(sc: Scenario, event: dict[str, Any], day: NormalDay, t0: float) -> None:
    kind = event.get("type")
    lon = float(event.get("lon", sc.lon))
    lat = float(event.get("lat", sc.lat))
    if "offset_m" in event:
        east_m, north_m = (float(x) for x in event["offset_m"])
        lon, lat = offset(*offset(lon, lat, north_m, 0.0), east_m, 90.0)
    radius_m = float(event.get("radius_m", 30.0))
    if kind == "call":
        count = int(event.get("count", 1))
        for dt in _spread(event, count):
            where = day.places.near(lon, lat, radius_m)
            day.call(
                t0 + dt, event["category"], *where, event["text"], int(event.get("patients", 0))
            )
    elif kind == "cctv":
        densities = event.get("density_ppm2") or [None] * int(event.get("count", 1))
        for dt, density in zip(_spread(event, len(densities)), densities, strict=True):
            day.detection(
                t0 + dt,
                event["camera_id"],
                event["kind"],
                lon,
                lat,
                None if density is None else float(density),
            )
    elif kind == "sensor":
        values = [float(v) for v in event["values"]]
        threshold = event.get("threshold")
        for dt, value in zip(_spread(event, len(values)), values, strict=True):
            day.sensor(
                t0 + dt,
                event["kind"],
                lon,
                lat,
                value,
                event["unit"],
                None if threshold is None else float(threshold),
                event["sensor_id"],
            )
    elif kind == "surge":
        _surge(event, day, t0, lon, lat)
    else:
        raise ScenarioError(f"{sc.path}: unknown event type {kind!r}")


def _surge(event: dict[str, Any], day: NormalDay, t0: float, lon: float, lat: float) -> None:
    rng = day.rng  # the day's generator: a replay with the same seed is the same surge
    count = int(event["count"])
    cats = dict(event["categories"])
    names, weights = list(cats), [float(w) for w in cats.values()]
    radius_m = event.get("radius_m")
    times = sorted(rng.uniform(0, float(event["over_min"]) * 60.0) for _ in range(count))
    for dt in times:
        place = day.places.draw()
        if radius_m is not None:
            for _ in range(50):  # a place on the network within the radius of the epicentre
                if _metres(place, (lon, lat)) <= float(radius_m):
                    break
                place = day.places.draw()
        day.emergency(t0 + dt, rng.choices(names, weights)[0], place)
    sensors = event.get("sensors")
    if sensors:
        low, high = (float(x) for x in sensors["value"])
        for k in range(int(sensors["count"])):
            place = day.places.draw()
            at_s = t0 + rng.uniform(0, float(sensors.get("within_min", 1.0)) * 60.0)
            day.sensor(
                at_s,
                sensors["kind"],
                *place,
                round(rng.uniform(low, high), 3),
                sensors["unit"],
                float(sensors["threshold"]),
                f"{sensors['id']}-{k:03d}",
            )


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    dx = (a[0] - b[0]) * 111_320.0 * math.cos(math.radians(a[1]))
    return math.hypot(dx, (a[1] - b[1]) * 111_320.0)


def _path(name_or_path: str) -> Path:
    path = Path(name_or_path)
    if path.suffix == ".toml" and path.is_file():
        return path
    path = LIBRARY / f"{name_or_path}.toml"
    if not path.is_file():
        raise ScenarioError(f"no scenario {name_or_path!r} (known: {', '.join(scenario_names())})")
    return path


def load_scenario(name_or_path: str) -> Scenario:
    """A scenario by name (from the library) or by the path of its TOML file."""
    path = _path(name_or_path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        place = data["place"]
        lon, lat = float(place["lon"]), float(place["lat"])
        expect = tuple(
            Expectation(
                types=(e["type"],) if isinstance(e["type"], str) else tuple(e["type"]),
                at_least=int(e["at_least"]),
                at_most=None if e.get("at_most") is None else int(e["at_most"]),
                within_m=None if e.get("within_m") is None else float(e["within_m"]),
                lon=float(e.get("lon", lon)),
                lat=float(e.get("lat", lat)),
            )
            for e in data.get("expect", [])
        )
        return Scenario(
            name=str(data["name"]),
            description=str(data["description"]),
            start=str(data.get("start", "00:00")),
            duration_s=float(data["duration_min"]) * 60.0,
            lon=lon,
            lat=lat,
            events=tuple(data["events"]),
            expect=expect,
            path=path,
        )
    except (KeyError, TypeError, ValueError, tomllib.TOMLDecodeError) as exc:
        raise ScenarioError(f"{path}: {exc}") from None


def scenario_names() -> list[str]:
    """The scenarios shipped in the library, by name."""
    return sorted(p.stem for p in LIBRARY.glob("*.toml"))


def describe() -> list[tuple[str, str]]:
    """(name, one-line description) of every library scenario."""
    return [(n, load_scenario(n).description) for n in scenario_names()]
