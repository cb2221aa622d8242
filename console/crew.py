"""What a crew may see: its own unit's current assignment, route, hazard zone and hydrants."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["CREW_INCIDENT_FIELDS", "crew_view", "current_assignment", "nearest_points"]

CREW_INCIDENT_FIELDS = (
    "id",
    "type",
    "priority",
    "status",
    "location",
    "address",
    "description",
    "patients",
    "deadline_at",
    "golden_time_s",
    "mass_casualty",
)
CREW_STATUSES = frozenset({"assigned"})
EARTH_RADIUS_M = 6_371_008.8
NEAREST_HYDRANTS = 5


def current_assignment(assignments: list[dict[str, Any]], unit_id: str) -> dict[str, Any] | None:
    """The unit's newest assignment that is in force (recommendations are not orders)."""
    mine = [a for a in assignments if a["unit_id"] == unit_id and a["status"] in CREW_STATUSES]
    return max(mine, key=lambda a: str(a.get("issued_at", "")), default=None)


def _distance_m(lon0: float, lat0: float, lon1: float, lat1: float) -> float:
    p0, p1 = math.radians(lat0), math.radians(lat1)
    dp, dl = p1 - p0, math.radians(lon1 - lon0)
    h = math.sin(dp / 2) ** 2 + math.cos(p0) * math.cos(p1) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


def nearest_points(
    features: list[dict[str, Any]], lon: float, lat: float, limit: int = NEAREST_HYDRANTS
) -> list[dict[str, Any]]:
    """Map features ``{id, location{lon,lat}, …}`` nearest to a point, with ``distance_m``."""
    ranked = []
    for f in features:
        loc = f.get("location") or {}
        if "lon" not in loc or "lat" not in loc:
            continue
        d = _distance_m(lon, lat, float(loc["lon"]), float(loc["lat"]))
        ranked.append({**f, "distance_m": round(f.get("distance_m", d), 1)})
    ranked.sort(key=lambda f: f["distance_m"])
    return ranked[:limit]


def crew_view(
    unit: dict[str, Any] | None,
    assignment: dict[str, Any] | None,
    incident: dict[str, Any] | None,
    overlay: dict[str, Any] | None,
) -> dict[str, Any]:
    """The crew page's data: only this unit, its order, the scene and what is near it."""
    scene = {k: incident[k] for k in CREW_INCIDENT_FIELDS if k in incident} if incident else None
    hydrants: list[dict[str, Any]] = []
    hazard = None
    if overlay is not None and scene is not None:
        loc = scene["location"]
        hydrants = nearest_points(overlay.get("hydrants", []), loc["lon"], loc["lat"])
        hazard = overlay.get("hazard_zone")
    return {
        "unit": unit,
        "assignment": assignment,
        "incident": scene,
        "hazard_zone": hazard,
        "hydrants": hydrants,
    }
