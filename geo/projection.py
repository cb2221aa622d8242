"""WGS84 <-> metric projection: EPSG:5179 in Korea, the local UTM zone elsewhere."""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray
from pyproj import Transformer

__all__ = ["KOREA_CRS", "Projection", "metric_crs_for", "projection_for"]

KOREA_CRS = "EPSG:5179"
_KOREA_BBOX = (124.0, 33.0, 132.0, 39.5)


def metric_crs_for(lon: float, lat: float) -> str:
    """The metric CRS to use around a point: EPSG:5179 in Korea, else its UTM zone."""
    min_lon, min_lat, max_lon, max_lat = _KOREA_BBOX
    if min_lon <= lon <= max_lon and min_lat <= lat <= max_lat:
        return KOREA_CRS
    zone = min(60, max(1, math.floor((lon + 180.0) / 6.0) + 1))
    return f"EPSG:{32600 + zone if lat >= 0 else 32700 + zone}"


class Projection:
    """Vectorised conversion between (lon, lat) and metres in one metric CRS."""

    def __init__(self, crs: str) -> None:
        self.crs = crs
        self._fwd = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
        self._inv = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)

    def to_metric(
        self, lon: ArrayLike, lat: ArrayLike
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """(lon, lat) degrees to (x, y) metres."""
        x, y = self._fwd.transform(np.asarray(lon, float), np.asarray(lat, float))
        return np.asarray(x, float), np.asarray(y, float)

    def to_wgs84(
        self, x: ArrayLike, y: ArrayLike
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """(x, y) metres to (lon, lat) degrees."""
        lon, lat = self._inv.transform(np.asarray(x, float), np.asarray(y, float))
        return np.asarray(lon, float), np.asarray(lat, float)

    def point_to_metric(self, lon: float, lat: float) -> tuple[float, float]:
        """One (lon, lat) to (x, y) metres."""
        x, y = self._fwd.transform(lon, lat)
        return float(x), float(y)

    def geometry_to_metric(self, geom: Any) -> Any:
        """A WGS84 shapely geometry in metres."""
        return shapely.transform(geom, self._coords_fwd)

    def geometry_to_wgs84(self, geom: Any) -> Any:
        """A metric shapely geometry in WGS84."""
        return shapely.transform(geom, self._coords_inv)

    def _coords_fwd(self, coords: NDArray[np.float64]) -> NDArray[np.float64]:
        x, y = self._fwd.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    def _coords_inv(self, coords: NDArray[np.float64]) -> NDArray[np.float64]:
        lon, lat = self._inv.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat])


@lru_cache(maxsize=16)
def projection_for(crs: str) -> Projection:
    """A shared Projection per CRS (transformers are costly to build)."""
    return Projection(crs)
