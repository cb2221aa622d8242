"""Places people can read: "마포구 합정동 양화로 부근" from the city's districts, dongs and
streets, never coordinates. The console names incidents with it for dispatchers and crews."""

from __future__ import annotations

import threading

from geo import City

__all__ = ["NEAR_STREET_M", "PlaceFinder", "place_name"]

NEAR_STREET_M = 250.0
"""A street farther than this from the point is not named ("near" it would mislead)."""


def place_name(city: City, lon: float, lat: float) -> str | None:
    """The gu, dong and nearest named street of a point ("마포구 합정동 양화로 부근");
    None when the point is in no district and near no named street."""
    gu = city.district_at(lon, lat)
    dong = city.dong_at(lon, lat)
    parts = [d.name for d in (gu, dong) if d is not None and d.name]
    street = nearest_street(city, lon, lat)
    if street:
        return " ".join([*parts, street, "부근"])
    return " ".join(parts) or None


def nearest_street(city: City, lon: float, lat: float) -> str:
    """The name of the nearest road link within :data:`NEAR_STREET_M` ('' when none)."""
    snap = city.roads.snap_edge(lon, lat)
    if snap.distance_m > NEAR_STREET_M:
        return ""
    for u, v, _ in snap.edges:
        name = city.roads.edge_street(u, v)
        if name:
            return name
    return ""


class PlaceFinder:
    """:func:`place_name` with a bounded memo by position (≈ 1 m), safe across threads."""

    def __init__(self, city: City, max_entries: int = 50_000) -> None:
        self._city = city
        self._max = max_entries
        self._memo: dict[tuple[float, float], str | None] = {}
        self._lock = threading.Lock()

    def name(self, lon: float, lat: float) -> str | None:
        """The place of a point (see :func:`place_name`)."""
        key = (round(lon, 5), round(lat, 5))
        with self._lock:
            if key in self._memo:
                return self._memo[key]
        value = place_name(self._city, lon, lat)
        with self._lock:
            if len(self._memo) >= self._max:
                self._memo.clear()
            self._memo[key] = value
        return value
