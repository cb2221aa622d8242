"""The safety-map overlay of an incident: hazard zone, hydrants, cameras, vulnerable facilities."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely

from geo.cameras import cameras_seeing
from geo.city import City
from geo.errors import check_lonlat
from geo.geojson import geojson_mapping
from geo.hazards import hazard_footprint, hazard_rules
from geo.street_reach import street_reach

__all__ = ["HYDRANT_MAX_M", "Overlay", "build_overlay", "nearest_hydrants"]

HYDRANT_MAX_M = 300.0  # hose reach along streets a crew would consider (a few hose lengths)
HYDRANT_LIMIT = 10
SNAP_TRUST_M = 150.0  # beyond this the scene is off the road network: use straight lines


@dataclass(frozen=True)
class Overlay:
    """What is at and around an incident, ready for the map (WGS84, GeoJSON)."""

    hazard_zone: dict[str, Any]
    hydrants: list[dict[str, Any]] = field(default_factory=list)
    cameras: list[dict[str, Any]] = field(default_factory=list)
    vulnerable_facilities: list[dict[str, Any]] = field(default_factory=list)
    hazard_source: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form (without incident_id/updated_at, which the caller adds).

        hazard_source (where the zone's distances come from) is an optional extra field.
        """
        return {
            "hazard_zone": self.hazard_zone,
            "hydrants": self.hydrants,
            "cameras": self.cameras,
            "vulnerable_facilities": self.vulnerable_facilities,
            "hazard_source": self.hazard_source,
        }


def nearest_hydrants(
    city: City,
    lon: float,
    lat: float,
    *,
    max_distance_m: float = HYDRANT_MAX_M,
    limit: int = HYDRANT_LIMIT,
) -> list[dict[str, Any]]:
    """Hydrants nearest to a point, nearest first.

    distance_m runs along streets (any direction, as a hose is laid) when the scene and the
    hydrant are both within SNAP_TRUST_M of a road node (distance_basis 'street'); on a
    coarse network (the Seoul node-link has only main-road junctions) it is the straight
    line (distance_basis 'straight').
    """
    if not city.hydrants:
        return []
    tree, nodes, snap_m = city.hydrant_index
    x, y = city.projection.point_to_metric(lon, lat)
    idx = tree.query_ball_point((x, y), max_distance_m)
    if not idx:
        return []
    scene = city.roads.snap(lon, lat)
    along: dict[int, float] = {}
    targets = {int(nodes[i]) for i in idx if snap_m[i] <= SNAP_TRUST_M}
    if scene.distance_m <= SNAP_TRUST_M and targets:
        reach = street_reach(city.roads)
        along = reach.distances_from(scene.node, max_distance_m + SNAP_TRUST_M, targets)
    out = []
    for i in idx:
        h = city.hydrants[i]
        straight_m = float(np.hypot(tree.data[i, 0] - x, tree.data[i, 1] - y))
        basis = "straight"
        distance_m = straight_m
        street_m = along.get(int(nodes[i]))
        if street_m is not None and snap_m[i] <= SNAP_TRUST_M:
            basis = "street"
            distance_m = max(straight_m, scene.distance_m + street_m + float(snap_m[i]))
        if distance_m <= max_distance_m:
            out.append(
                {
                    "id": h.id,
                    "location": {"lon": h.lon, "lat": h.lat},
                    "kind": h.kind,
                    "distance_m": round(distance_m, 1),
                    "straight_distance_m": round(straight_m, 1),
                    "distance_basis": basis,
                }
            )
    out.sort(key=lambda d: (d["distance_m"], d["id"]))
    return out[:limit]


def build_overlay(
    city: City,
    incident_type: str,
    lon: float,
    lat: float,
    *,
    wind_from_deg: float | None = None,
    wind_speed_mps: float | None = None,
) -> Overlay:
    """The overlay of an incident of this type at (lon, lat)."""
    check_lonlat(lon, lat)
    footprint = hazard_footprint(
        incident_type,
        lon,
        lat,
        crs=city.projection.crs,
        wind_from_deg=wind_from_deg,
        wind_speed_mps=wind_speed_mps,
    )
    x, y, zone_m = footprint.x, footprint.y, footprint.zone_m
    facilities = []
    if city.facilities:
        tree, _, _ = city.facility_index
        reach_m = float(np.max(np.hypot(*(np.asarray(zone_m.exterior.coords) - (x, y)).T)))
        idx = tree.query_ball_point((x, y), reach_m + 1.0)
        for i in idx:
            fx, fy = tree.data[i]
            if shapely.intersects_xy(zone_m, fx, fy):
                f = city.facilities[i]
                facilities.append(
                    {
                        "id": f.id,
                        "name": f.name,
                        "kind": f.kind,
                        "location": {"lon": f.lon, "lat": f.lat},
                        "distance_m": round(float(np.hypot(fx - x, fy - y)), 1),
                    }
                )
        facilities.sort(key=lambda d: (d["distance_m"], d["id"]))
    return Overlay(
        hazard_zone=geojson_mapping(footprint.zone_wgs84),
        hydrants=nearest_hydrants(city, lon, lat),
        cameras=[v.to_dict() for v in cameras_seeing(city, lon, lat)],
        vulnerable_facilities=facilities,
        hazard_source=hazard_rules().rule(incident_type).source,
    )
