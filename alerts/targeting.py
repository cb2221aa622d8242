"""Device targeting: which registered device locations fall inside an alert area."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import shapely

__all__ = ["devices_in_area"]


def devices_in_area(
    area: Any, lon: npt.NDArray[np.float64], lat: npt.NDArray[np.float64]
) -> npt.NDArray[np.bool_]:
    """Boolean mask of devices (lon, lat arrays, WGS84) inside the alert area (boundary in)."""
    west, south, east, north = area.bounds
    mask = np.zeros(lon.shape, dtype=bool)
    near = np.flatnonzero((lon >= west) & (lon <= east) & (lat >= south) & (lat <= north))
    if near.size:
        shapely.prepare(area)
        mask[near] = shapely.intersects_xy(area, lon[near], lat[near])
    return mask
