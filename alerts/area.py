"""Alert area: hazard zone -> a simple valid CAP polygon and the districts it touches."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from shapely.geometry import Point, Polygon

from alerts.districts import DistrictIndex, DistrictLike, district_index, level_rank
from alerts.errors import AlertError
from alerts.metric import circle_m, point_to_metric, to_metric, to_wgs84
from alerts.model import DistrictRef
from alerts.policy import Policy

__all__ = ["AlertArea", "DistrictLike", "DistrictShape", "alert_area"]

_COORD_GRID_DEG = 1e-6  # ~0.1 m: CAP polygons carry 6 decimals
_RECENT_SIZE = 256
_BOX_PAD_DEG = 1e-6  # the CAP polygon's box vs its metric copy's: far below a millimetre apart
_recent: dict[tuple[Any, ...], tuple[DistrictIndex | None, Policy, AlertArea]] = {}


@dataclass(frozen=True)
class DistrictShape:
    """A plain district for callers without geo: code, name, level and WGS84 geometry."""

    code: str
    name: str
    level: str
    geometry: Any = field(repr=False, compare=False)


@dataclass(frozen=True)
class AlertArea:
    """The alert polygon (WGS84), the districts it touches and how much it overshoots."""

    polygon: Any = field(repr=False, compare=False)
    districts: tuple[DistrictRef, ...]
    area_m2: float
    hazard_area_m2: float
    polygon_overshoot_ratio: float
    district_overshoot_ratio: float
    reach_m: float = 0.0
    home: tuple[DistrictRef, ...] = ()

    @property
    def overshoot_ratio(self) -> float:
        """Share of the targeted (district-level) area outside the hazard zone."""
        return self.district_overshoot_ratio


def alert_area(
    hazard_zone: Any | None,
    lon: float,
    lat: float,
    districts: Sequence[DistrictLike] | DistrictIndex,
    policy: Policy,
    radius_m: float | None = None,
) -> AlertArea:
    """Turn a hazard zone (WGS84, may be None) into the alert polygon and its districts.

    Pass a DistrictIndex (or the same district sequence again) to reuse its tree and
    metric outlines across calls. The result depends only on the arguments, so recent ones
    are kept: a re-draft of the same incident (its priority changed) reuses its area.
    """
    index = district_index(districts) if len(districts) else None
    zone_wkb = None if hazard_zone is None else shapely.to_wkb(hazard_zone)
    key = (zone_wkb, lon, lat, radius_m, id(index), id(policy))
    hit = _recent.get(key)
    if hit is not None and hit[0] is index and hit[1] is policy:
        return hit[2]
    area = _alert_area(hazard_zone, lon, lat, index or (), policy, radius_m)
    if len(_recent) >= _RECENT_SIZE:
        _recent.clear()
    _recent[key] = (index, policy, area)
    return area


def _alert_area(
    hazard_zone: Any | None,
    lon: float,
    lat: float,
    districts: Sequence[DistrictLike] | DistrictIndex,
    policy: Policy,
    radius_m: float | None,
) -> AlertArea:
    incident = Point(lon, lat)
    incident_m = point_to_metric(lon, lat)
    floor_m = max(policy.min_radius_m, radius_m or 0.0)
    hazard_m = _hazard_metric(hazard_zone, incident_m, floor_m)
    polygon_m = _single_polygon(hazard_m.union(circle_m(incident_m, policy.min_radius_m)))
    polygon_m = _simplify(polygon_m, policy)
    polygon = _to_cap_polygon(polygon_m)
    if not polygon.contains(incident):  # rounding made it miss: widen once
        polygon_m = _single_polygon(polygon_m.union(circle_m(incident_m, policy.min_radius_m)))
        polygon = _to_cap_polygon(polygon_m.buffer(5.0))
    if not (polygon.is_valid and polygon.contains(incident)):
        raise AlertError("alert polygon could not be made valid around the incident")
    area_m = to_metric(polygon)
    touched, target_m, home = _districts(area_m, polygon, incident_m, districts, policy)
    reach = float(shapely.hausdorff_distance(incident_m, hazard_m.boundary))
    hazard_area = float(hazard_m.area)
    poly_over = 1.0 - float(area_m.intersection(hazard_m).area) / max(float(area_m.area), 1e-9)
    if target_m is None or target_m.is_empty:
        district_over = poly_over
    else:
        district_over = 1.0 - float(target_m.intersection(hazard_m).area) / float(target_m.area)
    return AlertArea(
        polygon,
        touched,
        float(area_m.area),
        hazard_area,
        _clamp(poly_over),
        _clamp(district_over),
        reach,
        home,
    )


def _clamp(x: float) -> float:
    return min(1.0, max(0.0, x))


def _hazard_metric(hazard_zone: Any | None, incident_m: Any, floor_m: float) -> Any:
    if hazard_zone is None or hazard_zone.is_empty:
        return circle_m(incident_m, floor_m)
    hazard_m = shapely.make_valid(to_metric(hazard_zone))
    polys = [g for g in shapely.get_parts(hazard_m) if g.geom_type in ("Polygon", "MultiPolygon")]
    hazard_m = shapely.union_all(polys) if polys else incident_m.buffer(floor_m)
    return hazard_m if float(hazard_m.area) > 0 else incident_m.buffer(floor_m)


def _single_polygon(geom: Any) -> Polygon:
    """One hole-free polygon: the hull of the parts when the zone is split (plume + source)."""
    parts = [g for g in shapely.get_parts(geom) if g.geom_type == "Polygon"]
    if len(parts) == 1:
        return Polygon(parts[0].exterior)
    hull = shapely.convex_hull(shapely.union_all(parts))
    return Polygon(hull.exterior)


def _simplify(polygon_m: Polygon, policy: Policy) -> Polygon:
    # small zones get a proportionally finer tolerance so overshoot stays a few percent
    tolerance = min(policy.simplify_tolerance_m, 0.02 * float(polygon_m.area) ** 0.5)
    out = polygon_m
    for _ in range(12):
        out = polygon_m.simplify(tolerance, preserve_topology=True)
        if len(out.exterior.coords) <= policy.max_vertices:
            break
        tolerance *= 2.0
    # simplification may cut corners: grow by the tolerance so the hazard stays covered
    grown = _single_polygon(out.buffer(tolerance, join_style="mitre", mitre_limit=2.0))
    if len(grown.exterior.coords) > policy.max_vertices:
        grown = Polygon(shapely.convex_hull(grown).exterior)
    if len(grown.exterior.coords) > policy.max_vertices:
        grown = Polygon(grown.minimum_rotated_rectangle.exterior)
    return grown


def _to_cap_polygon(polygon_m: Polygon) -> Polygon:
    wgs = to_wgs84(polygon_m)
    snapped = shapely.set_precision(wgs, _COORD_GRID_DEG)
    snapped = _single_polygon(shapely.make_valid(snapped))
    return shapely.orient_polygons(snapped) if hasattr(shapely, "orient_polygons") else snapped


def _districts(
    area_m: Any,
    area: Any,
    incident_m: Any,
    districts: Sequence[DistrictLike] | DistrictIndex,
    policy: Policy,
) -> tuple[tuple[DistrictRef, ...], Any | None, tuple[DistrictRef, ...]]:
    """Touched districts (gu before dong), union of the finest level, those holding the incident.

    Candidates are the districts whose WGS84 box meets the area's (widened by _BOX_PAD_DEG: a
    few more candidates, never one less). A district holding the incident is touched
    whatever its overlap, so only the others are intersected with the area.
    """
    if not len(districts):
        return (), None, ()
    index = district_index(districts)
    west, south, east, north = area.bounds
    pad = _BOX_PAD_DEG
    found = index.candidates(west - pad, south - pad, east + pad, north + pad)
    if not found:
        return (), None, ()
    geoms = np.array([index.metric(i) for i in found], dtype=object)
    insides = shapely.covers(geoms, incident_m)
    outside = ~insides
    overlaps = np.zeros(len(found))
    if outside.any():
        overlaps[outside] = shapely.area(shapely.intersection(geoms[outside], area_m))
    home: list[DistrictRef] = []
    touched: list[tuple[DistrictRef, int]] = []
    for k, i in enumerate(found):
        ref = index.refs[i]
        inside = bool(insides[k])
        if inside:
            home.append(ref)
        if inside or float(overlaps[k]) >= policy.district_min_overlap_m2:
            touched.append((ref, i))
    touched.sort(key=lambda t: (level_rank(t[0].level), t[0].code))
    finest = max((level_rank(r.level) for r, _ in touched), default=0)
    target = tuple(i for r, i in touched if level_rank(r.level) == finest)
    home.sort(key=lambda r: (level_rank(r.level), r.code))
    union = index.union(target) if target else None
    return tuple(r for r, _ in touched), union, tuple(home)
