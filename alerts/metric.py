"""WGS84 <-> EPSG:5179 (Korea 2000 / Unified CS) for metres, buffers and areas."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pyproj
import shapely
from numpy.typing import NDArray

__all__ = ["area_m2", "circle_m", "point_to_metric", "to_metric", "to_wgs84"]

_RECENT_SIZE = 8
_recent: dict[int, tuple[Any, Any]] = {}


@functools.cache
def _forward() -> pyproj.Transformer:
    return pyproj.Transformer.from_crs("EPSG:4326", "EPSG:5179", always_xy=True)


@functools.cache
def _inverse() -> pyproj.Transformer:
    return pyproj.Transformer.from_crs("EPSG:5179", "EPSG:4326", always_xy=True)


def _apply(transformer: pyproj.Transformer, geom: Any) -> Any:
    def move(xy: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geom, move)


def to_metric(geom: Any) -> Any:
    """A WGS84 (lon, lat) geometry in EPSG:5179 metres.

    The last few results are kept by identity (geometries are immutable): drafting projects
    the same hazard zone for its area, its decision and its alert polygon.
    """
    hit = _recent.get(id(geom))
    if hit is not None and hit[0] is geom:
        return hit[1]
    out = _apply(_forward(), geom)
    if len(_recent) >= _RECENT_SIZE:
        _recent.clear()
    _recent[id(geom)] = (geom, out)
    return out


def point_to_metric(lon: float, lat: float) -> Any:
    """Point(lon, lat) in EPSG:5179 metres (the same floats as to_metric, one call less)."""
    x, y = _forward().transform(lon, lat)
    return shapely.Point(x, y)


def circle_m(center_m: Any, radius_m: float) -> Any:
    """center_m.buffer(radius_m) (8 segments a quarter), by translating one cached circle.

    GEOS writes a point buffer's vertices as x + r*cos(a), y + r*sin(a), so adding (x, y) to
    the circle around (0, 0) gives the very same coordinates (tests compare the two); a zero
    coordinate (whose sign GEOS keeps) goes to GEOS itself.
    """
    x, y = center_m.x, center_m.y
    if x == 0.0 or y == 0.0:
        return center_m.buffer(radius_m)
    return shapely.polygons(_unit_circle(radius_m) + np.array([x, y]))


@functools.lru_cache(maxsize=64)
def _unit_circle(radius_m: float) -> NDArray[np.float64]:
    ring: NDArray[np.float64] = shapely.get_coordinates(shapely.Point(0.0, 0.0).buffer(radius_m))
    ring.setflags(write=False)
    return ring


def to_wgs84(geom: Any) -> Any:
    """An EPSG:5179 geometry back in WGS84 (lon, lat)."""
    return _apply(_inverse(), geom)


def area_m2(geom: Any) -> float:
    """Area of a WGS84 geometry in square metres."""
    return float(to_metric(geom).area)
