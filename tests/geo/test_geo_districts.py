"""District lookup answers exactly as testing every polygon does: inside a district, outside
all, and a few metres either side of a border."""

from __future__ import annotations

import numpy as np
import shapely

from geo import City
from tests.geo.geo_seoul_data import needs_seoul


def _brute(areas: tuple, lon: float, lat: float) -> str | None:
    point = shapely.Point(lon, lat)
    return next((d.code for d in areas if d.geometry.intersects(point)), None)


def _points(city: City, n: int, seed: int) -> list[tuple[float, float]]:
    """Uniform points over (and a little beyond) the city, and points jittered a few
    metres off district borders."""
    rng = np.random.default_rng(seed)
    min_lon, min_lat, max_lon, max_lat = city.bbox
    pts = list(
        zip(
            rng.uniform(min_lon - 0.01, max_lon + 0.01, n),
            rng.uniform(min_lat - 0.01, max_lat + 0.01, n),
            strict=True,
        )
    )
    for district in city.dongs:
        ring = shapely.get_coordinates(district.geometry.boundary)
        for lon, lat in ring[rng.integers(0, len(ring), 20)]:
            dx, dy = rng.normal(0, 0.00005, 2)  # ≈ 5 m
            pts.append((float(lon + dx), float(lat + dy)))
    return [(float(x), float(y)) for x, y in pts]


def _check(city: City) -> None:
    for lon, lat in _points(city, 3000, seed=7):
        gu, dong = city.district_at(lon, lat), city.dong_at(lon, lat)
        assert (gu.code if gu else None) == _brute(city.districts, lon, lat), (lon, lat)
        assert (dong.code if dong else None) == _brute(city.dongs, lon, lat), (lon, lat)


def test_builtin_lookup_matches_every_polygon(builtin: City) -> None:
    _check(builtin)


@needs_seoul
def test_seoul_lookup_matches_every_polygon(seoul: City) -> None:
    _check(seoul)


def test_many_points_at_once_agree_with_one_at_a_time(builtin: City) -> None:
    pts = _points(builtin, 500, seed=3)
    lons, lats = np.array([p[0] for p in pts]), np.array([p[1] for p in pts])
    one = [d.code if (d := builtin.district_at(x, y)) else None for x, y in pts]
    assert builtin.district_codes_at(lons, lats) == one
    assert any(c is None for c in one) and len({c for c in one if c}) == len(builtin.districts)
