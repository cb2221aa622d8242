"""A busy, realistic scene on the built-in city for the browser tests and screenshots.

Incidents sit on road nodes, units at their stations, and each assignment carries the real
route the road graph finds (geo), so the pictures show what a dispatcher would see.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from geo import City, load_city
from stack.settings import DEFAULT_SEOUL_DATA
from tests.console.console_samples import assignment, incident, now, overlay, unit_status

TYPES = ["fire", "medical", "cardiac_arrest", "traffic", "gas_leak", "rescue", "collapse"]


@dataclass
class Scene:
    """Messages to produce: incidents, unit reports, assignments, overlays."""

    incidents: list[dict[str, Any]] = field(default_factory=list)
    units: list[dict[str, Any]] = field(default_factory=list)
    assignments: list[dict[str, Any]] = field(default_factory=list)
    overlays: list[dict[str, Any]] = field(default_factory=list)


def route_between(city: City, start: tuple[float, float], end: tuple[float, float]) -> Any:
    """The road route between two (lon, lat) points, or None."""
    a = city.roads.snap(*start).node
    b = city.roads.snap(*end).node
    return city.roads.route(a, b)


CENTRE_BOX = (126.955, 37.550, 127.005, 37.585)  # around City Hall (lon0, lat0, lon1, lat1)


def console_city() -> City:
    """The city the console child process loads (Seoul when its data is present)."""
    has_seoul = (DEFAULT_SEOUL_DATA / "seoul_nodelink_nodes.csv").exists()
    return load_city(DEFAULT_SEOUL_DATA if has_seoul else None)


def busy_scene(n_incidents: int = 24, seed: int = 119) -> Scene:
    """Incidents around City Hall; every station's units; real routes for a third of them."""
    rng = random.Random(seed)
    city = console_city()
    lons, lats = city.roads.node_lonlats()
    x0, y0, x1, y1 = CENTRE_BOX
    central = [i for i in range(len(lons)) if x0 <= lons[i] <= x1 and y0 <= lats[i] <= y1]
    scene = Scene()
    for s in city.stations:
        for u in s.units:
            scene.units.append(unit_status(u.unit_id, "available", s.lon, s.lat, kind=u.kind))
    used: set[str] = set()
    for i in range(n_incidents):
        node = rng.choice(central)
        lon, lat = float(lons[node]), float(lats[node])
        age_s = rng.uniform(10, 600)
        opened = now() - timedelta(seconds=age_s)
        inc = incident(
            f"inc-scene-{i:03d}",
            lon,
            lat,
            opened_at=opened.isoformat(),
            deadline_at=(opened + timedelta(seconds=420)).isoformat(),
            type=rng.choice(TYPES),
            priority=rng.choice([1, 1, 2, 2, 3, 4, 5]),
            address=f"서울 중구 세종대로 {rng.randint(1, 300)}",
        )
        scene.incidents.append(inc)
        if i % 3:
            continue
        station = min(
            (s for s in city.stations if s.units and s.id not in used),
            key=lambda s: (s.lon - lon) ** 2 + (s.lat - lat) ** 2,
        )
        used.add(station.id)
        unit = station.units[0]
        route = route_between(city, (station.lon, station.lat), (lon, lat))
        if route is None:
            continue
        coords = [tuple(p) for p in route.geometry["coordinates"]]
        status = "assigned" if i % 2 == 0 else "recommended"
        scene.assignments.append(
            assignment(
                inc["id"],
                unit.unit_id,
                status,
                coords,
                eta_s=round(route.eta_s, 1),
                distance_m=round(route.distance_m, 1),
                unit_kind=unit.kind,
            )
        )
        scene.overlays.append(overlay(inc["id"], lon, lat))
        if status == "assigned":
            scene.units.append(
                unit_status(unit.unit_id, "en_route", station.lon, station.lat, kind=unit.kind)
            )
    return scene
