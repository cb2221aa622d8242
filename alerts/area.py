"""Alert area: hazard zone -> a simple valid CAP polygon and the districts it touches."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import shapely
from shapely.geometry import Point, Polygon

from alerts.errors import AlertError
from alerts.metric import to_metric, to_wgs84
from alerts.model import DistrictRef
from alerts.policy import Policy

__all__ = ["AlertArea", "DistrictLike", "DistrictShape", "alert_area"]

_COORD_GRID_DEG = 1e-6  # ~0.1 m: CAP polygons carry 6 decimals


class DistrictLike(Protocol):
    """Anything with a code, name, level and WGS84 geometry (geo.District fits)."""

    @property
    def code(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def level(self) -> str: ...
    @property
    def geometry(self) -> Any: ...


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
    districts: Sequence[DistrictLike],
    policy: Policy,
    radius_m: float | None = None,
) -> AlertArea:
    """Turn a hazard zone (WGS84, may be None) into the alert polygon and its districts."""
    incident_m = to_metric(Point(lon, lat))
    floor_m = max(policy.min_radius_m, radius_m or 0.0)
    hazard_m = _hazard_metric(hazard_zone, incident_m, floor_m)
    polygon_m = _single_polygon(hazard_m.union(incident_m.buffer(policy.min_radius_m)))
    polygon_m = _simplify(polygon_m, policy)
    polygon = _to_cap_polygon(polygon_m)
    if not polygon.contains(Point(lon, lat)):  # rounding made it miss: widen once
        polygon_m = _single_polygon(polygon_m.union(incident_m.buffer(policy.min_radius_m)))
        polygon = _to_cap_polygon(polygon_m.buffer(5.0))
    if not (polygon.is_valid and polygon.contains(Point(lon, lat))):
        raise AlertError("alert polygon could not be made valid around the incident")
    area_m = to_metric(polygon)
    touched, target_m, home = _districts(area_m, incident_m, districts, policy)
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
        return incident_m.buffer(floor_m)
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
    area_m: Any, incident_m: Any, districts: Sequence[DistrictLike], policy: Policy
) -> tuple[tuple[DistrictRef, ...], Any | None, tuple[DistrictRef, ...]]:
    """Touched districts (gu before dong), union of the finest level, those holding the incident."""
    if not districts:
        return (), None, ()
    home: list[DistrictRef] = []
    west, south, east, north = to_wgs84(area_m).bounds
    touched: list[tuple[DistrictRef, Any]] = []
    for d in districts:
        dw, ds, de, dn = d.geometry.bounds
        if de < west or dw > east or dn < south or ds > north:
            continue
        geom_m = to_metric(d.geometry)
        overlap = float(geom_m.intersection(area_m).area)
        ref = DistrictRef(d.code, d.name, d.level)
        inside = bool(geom_m.covers(incident_m))
        if inside:
            home.append(ref)
        if overlap >= policy.district_min_overlap_m2 or inside:
            touched.append((ref, geom_m))
    order = {"gu": 0, "dong": 1}
    touched.sort(key=lambda t: (order.get(t[0].level, 2), t[0].code))
    finest = max((order.get(r.level, 2) for r, _ in touched), default=0)
    target = [g for r, g in touched if order.get(r.level, 2) == finest]
    home.sort(key=lambda r: (order.get(r.level, 2), r.code))
    union = shapely.union_all(target) if target else None
    return tuple(r for r, _ in touched), union, tuple(home)
