"""GeoJSON mappings of shapely geometries, as shapely.geometry.mapping writes them, faster."""

from __future__ import annotations

from typing import Any

import shapely

__all__ = ["geojson_mapping"]


def geojson_mapping(geom: Any) -> dict[str, Any]:
    """The same dict as shapely.geometry.mapping (tuples of float tuples), built in bulk.

    2-D Polygons (hazard zones) take the fast path; anything else goes to shapely.
    """
    if geom.geom_type == "Polygon" and shapely.get_coordinate_dimension(geom) == 2:
        return {"type": "Polygon", "coordinates": _polygon_coords(geom)}
    mapped: dict[str, Any] = shapely.geometry.mapping(geom)
    return mapped


def _polygon_coords(polygon: Any) -> tuple[tuple[tuple[float, ...], ...], ...]:
    if polygon.is_empty:
        return ()
    rings = [polygon.exterior, *polygon.interiors]
    return tuple(tuple(map(tuple, shapely.get_coordinates(r).tolist())) for r in rings)
