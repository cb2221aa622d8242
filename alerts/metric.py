"""WGS84 <-> EPSG:5179 (Korea 2000 / Unified CS) for metres, buffers and areas."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pyproj
import shapely

__all__ = ["area_m2", "to_metric", "to_wgs84"]


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
    """A WGS84 (lon, lat) geometry in EPSG:5179 metres."""
    return _apply(_forward(), geom)


def to_wgs84(geom: Any) -> Any:
    """An EPSG:5179 geometry back in WGS84 (lon, lat)."""
    return _apply(_inverse(), geom)


def area_m2(geom: Any) -> float:
    """Area of a WGS84 geometry in square metres."""
    return float(to_metric(geom).area)
