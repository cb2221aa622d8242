"""City layers as GeoJSON FeatureCollections (WGS84) for the console map and crew views."""

from __future__ import annotations

from typing import Any

import shapely

from geo.city import City
from geo.model import Camera, Facility, Hydrant, Station

__all__ = ["district_features", "point_features", "road_features"]

Bbox = tuple[float, float, float, float]


def road_features(city: City, bbox: Bbox | None = None) -> dict[str, Any]:
    """Road links as straight LineStrings with street, one_way, speed and travel time.

    A two-way street is one feature (one_way False); bbox is (min_lon, min_lat, max_lon, max_lat).
    """
    roads = city.roads
    src, dst, time_s, length_m = roads.edge_arrays()
    lon, lat = roads.node_lonlats()
    pairs = set(zip(src.tolist(), dst.tolist(), strict=True))
    features = []
    for e, (u, v) in enumerate(zip(src.tolist(), dst.tolist(), strict=True)):
        reverse = (v, u) in pairs
        if reverse and v < u:
            continue  # drawn once, from the lower node
        if bbox is not None and not _touches(bbox, lon[u], lat[u], lon[v], lat[v]):
            continue
        features.append(
            {
                "type": "Feature",
                "geometry": {
                    "type": "LineString",
                    "coordinates": [[float(lon[u]), float(lat[u])], [float(lon[v]), float(lat[v])]],
                },
                "properties": {
                    "street": roads.edge_street(u, v),
                    "one_way": not reverse,
                    "length_m": round(float(length_m[e]), 1),
                    "eta_s": round(float(time_s[e]), 2),
                    "speed_kph": round(float(length_m[e] / time_s[e] * 3.6), 1),
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _touches(bbox: Bbox, lon0: float, lat0: float, lon1: float, lat1: float) -> bool:
    min_lon, min_lat, max_lon, max_lat = bbox
    return not (
        max(lon0, lon1) < min_lon
        or min(lon0, lon1) > max_lon
        or max(lat0, lat1) < min_lat
        or min(lat0, lat1) > max_lat
    )


def district_features(city: City, level: str = "gu", simplify_m: float = 0.0) -> dict[str, Any]:
    """Gu (level 'gu') or dong (level 'dong') polygons with code and name."""
    districts = city.districts if level == "gu" else city.dongs
    features = []
    for d in districts:
        geom = d.geometry
        if simplify_m > 0:
            proj = city.projection
            geom = proj.geometry_to_wgs84(proj.geometry_to_metric(geom).simplify(simplify_m))
        features.append(
            {
                "type": "Feature",
                "geometry": shapely.geometry.mapping(geom),
                "properties": {"code": d.code, "name": d.name, "level": d.level},
            }
        )
    return {"type": "FeatureCollection", "features": features}


def point_features(city: City, layer: str) -> dict[str, Any]:
    """One point layer: 'stations', 'hydrants', 'cameras' or 'facilities'."""
    layers: dict[str, tuple[Station | Hydrant | Camera | Facility, ...]] = {
        "stations": city.stations,
        "hydrants": city.hydrants,
        "cameras": city.cameras,
        "facilities": city.facilities,
    }
    features = []
    for item in layers[layer]:
        props: dict[str, Any] = {
            k: v for k, v in vars(item).items() if k not in ("lon", "lat", "units")
        }
        if isinstance(item, Station):
            props["units"] = [{"unit_id": u.unit_id, "kind": u.kind} for u in item.units]
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [item.lon, item.lat]},
                "properties": props,
            }
        )
    return {"type": "FeatureCollection", "features": features}
