"""Exceptions raised by the geo package."""

from __future__ import annotations

import math

__all__ = [
    "CityDataError",
    "GeoError",
    "InvalidCoordinatesError",
    "UnknownNodeError",
    "check_lonlat",
]


class GeoError(Exception):
    """Base class of every error raised by geo."""


class CityDataError(GeoError):
    """City data could not be read or is unusable (missing file, no road left after cleaning)."""


class UnknownNodeError(GeoError, IndexError):
    """A node index is outside the road graph."""


class InvalidCoordinatesError(GeoError, ValueError):
    """A longitude/latitude is not a finite number in range."""


def check_lonlat(lon: float, lat: float) -> None:
    """Raise InvalidCoordinatesError unless (lon, lat) is a finite WGS84 position.

    >>> check_lonlat(126.978, 37.5665)
    """
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        raise InvalidCoordinatesError(f"not a WGS84 position: lon={lon!r}, lat={lat!r}")
