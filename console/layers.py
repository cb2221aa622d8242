"""Map layers from the city (geo) as compact GeoJSON, built once per process and cached."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from geo import City, district_features, load_city, point_features, road_features

__all__ = ["CREW_LAYERS", "LAYERS", "PUBLIC_LAYERS", "LayerCache", "compact_roads", "round_coords"]

PUBLIC_LAYERS = frozenset({"districts", "dongs", "roads", "stations"})
"""Layers anyone may fetch (the public page draws its map from them)."""
CREW_LAYERS = frozenset({"hydrants", "facilities"})
"""Layers crews need as well as dispatchers."""
LAYERS = PUBLIC_LAYERS | CREW_LAYERS | {"cameras"}
"""Every layer; cameras are for dispatchers only."""
COORD_DECIMALS = 5  # ≈ 1 m, plenty for a screen map


def round_coords(value: Any, decimals: int = COORD_DECIMALS) -> Any:
    """GeoJSON coordinates (nested lists) rounded to ``decimals`` places."""
    if isinstance(value, float):
        return round(value, decimals)
    if isinstance(value, (list, tuple)):
        return [round_coords(v, decimals) for v in value]
    return value


def compact_roads(collection: dict[str, Any]) -> dict[str, Any]:
    """Road features with rounded coordinates and only the street name and one-way flag."""
    features = []
    for f in collection["features"]:
        props = f["properties"]
        features.append(
            {
                "type": "Feature",
                "geometry": {
                    "type": f["geometry"]["type"],
                    "coordinates": round_coords(f["geometry"]["coordinates"]),
                },
                "properties": {"street": props.get("street") or "", "one_way": props["one_way"]},
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _rounded(collection: dict[str, Any]) -> dict[str, Any]:
    for f in collection["features"]:
        f["geometry"]["coordinates"] = round_coords(f["geometry"]["coordinates"])
    return collection


BUILDERS: dict[str, Callable[[City], dict[str, Any]]] = {
    "districts": lambda c: _rounded(district_features(c, "gu", simplify_m=20.0)),
    "dongs": lambda c: _rounded(district_features(c, "dong", simplify_m=20.0)),
    "roads": lambda c: compact_roads(road_features(c)),
    "stations": lambda c: point_features(c, "stations"),
    "hydrants": lambda c: point_features(c, "hydrants"),
    "cameras": lambda c: point_features(c, "cameras"),
    "facilities": lambda c: point_features(c, "facilities"),
}


class LayerCache:
    """Loads the city lazily (in a thread) and keeps each layer's JSON bytes."""

    def __init__(self, data_dir: Path | None) -> None:
        self._data_dir = data_dir
        self._city: City | None = None
        self._bytes: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def city(self) -> City:
        """The city (loaded on first use; blocking)."""
        with self._lock:
            if self._city is None:
                self._city = load_city(self._data_dir)
            return self._city

    def layer_bytes(self, name: str) -> bytes:
        """One layer as GeoJSON bytes (blocking on first use)."""
        if name not in BUILDERS:
            raise KeyError(name)
        cached = self._bytes.get(name)
        if cached is None:
            cached = orjson.dumps(BUILDERS[name](self.city()))
            self._bytes[name] = cached
        return cached

    async def get(self, name: str) -> bytes:
        """One layer as GeoJSON bytes, built off the event loop."""
        cached = self._bytes.get(name)
        if cached is not None:
            return cached
        return await asyncio.to_thread(self.layer_bytes, name)

    async def bbox(self) -> tuple[float, float, float, float]:
        """The city's bounding box (min_lon, min_lat, max_lon, max_lat)."""
        city = await asyncio.to_thread(self.city)
        return tuple(float(v) for v in city.bbox)  # type: ignore[return-value]
