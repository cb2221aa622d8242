"""Shared field types of the contract: identifiers, times, positions, GeoJSON."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

EventId = Annotated[
    str, StringConstraints(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:@/-]*$")
]
"""A sender-chosen id: printable ASCII, no spaces, at most 128 characters."""

ShortText = Annotated[str, StringConstraints(max_length=300)]
FreeText = Annotated[str, StringConstraints(max_length=4000)]


def _check_offset(value: datetime) -> datetime:
    if value.utcoffset() is None:  # pragma: no cover - AwareDatetime already refuses
        raise ValueError("time must carry a UTC offset (RFC 3339)")
    return value


Timestamp = Annotated[AwareDatetime, AfterValidator(_check_offset)]
"""An RFC 3339 time with its offset, e.g. 2026-11-21T13:05:09+09:00."""


class ContractModel(BaseModel):
    """Base of every event: unknown fields ignored (senders may extend), values frozen."""

    model_config = ConfigDict(
        frozen=True, extra="ignore", str_strip_whitespace=True, allow_inf_nan=False
    )


class Position(ContractModel):
    """A WGS84 position."""

    lon: float = Field(ge=-180.0, le=180.0)
    lat: float = Field(ge=-90.0, le=90.0)


class Location(Position):
    """A WGS84 position with an optional accuracy radius in metres."""

    accuracy_m: float | None = Field(default=None, ge=0.0, le=100_000.0)


def _check_geojson(value: dict[str, Any]) -> dict[str, Any]:
    kind = value.get("type")
    if kind not in {"Point", "LineString", "Polygon", "MultiPolygon", "MultiLineString"}:
        raise ValueError(f"unsupported GeoJSON geometry type {kind!r}")
    if "coordinates" not in value:
        raise ValueError("GeoJSON geometry without coordinates")
    coordinates = _as_lists(value["coordinates"])
    _check_coords(coordinates)
    return {**value, "coordinates": coordinates}


def _as_lists(coords: Any, depth: int = 0) -> Any:
    """Tuples (as shapely writes them) become lists, as JSON reads them."""
    if depth > 5 or not isinstance(coords, (list, tuple)):
        return coords
    return [_as_lists(c, depth + 1) for c in coords]


def _check_coords(coords: Any, depth: int = 0) -> None:
    if depth > 4:
        raise ValueError("GeoJSON coordinates nested too deeply")
    if not isinstance(coords, list):
        raise ValueError("GeoJSON coordinates must be arrays")
    if coords and isinstance(coords[0], (int, float)):
        if len(coords) < 2 or not all(
            isinstance(c, (int, float)) and math.isfinite(c) for c in coords
        ):
            raise ValueError("a GeoJSON position is [lon, lat] of finite numbers")
        lon, lat = coords[0], coords[1]
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise ValueError("GeoJSON position out of WGS84 range")
        return
    for item in coords:
        _check_coords(item, depth + 1)


GeoJSONGeometry = Annotated[dict[str, Any], AfterValidator(_check_geojson)]
"""A GeoJSON geometry object (lon, lat order)."""
