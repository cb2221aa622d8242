"""The indexed, cached alert area equals the plain computation (loop over every district)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

import shapely
from alert_samples import CITY_HALL, LITERAL_DISTRICTS, circle
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point

import alerts.area as area_mod
import alerts.metric as metric_mod
from alerts import AlertArea, DistrictIndex, DistrictLike, DistrictShape, Policy, alert_area
from alerts.districts import district_index
from alerts.metric import circle_m, point_to_metric, to_metric, to_wgs84
from alerts.model import DistrictRef
from geo import hazard_zone, load_city

_ORDER = {"gu": 0, "dong": 1}


def plain_districts(
    area_m: Any, incident_m: Any, districts: Sequence[DistrictLike], policy: Policy
) -> tuple[tuple[DistrictRef, ...], Any | None, tuple[DistrictRef, ...]]:
    """The straightforward version: every district's bounds, then each one projected."""
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
    touched.sort(key=lambda t: (_ORDER.get(t[0].level, 2), t[0].code))
    finest = max((_ORDER.get(r.level, 2) for r, _ in touched), default=0)
    target = [g for r, g in touched if _ORDER.get(r.level, 2) == finest]
    home.sort(key=lambda r: (_ORDER.get(r.level, 2), r.code))
    union = shapely.union_all(target) if target else None
    return tuple(r for r, _ in touched), union, tuple(home)


def forget() -> None:
    """Drop every cache the fast path keeps, so each call computes from scratch."""
    area_mod._recent.clear()
    metric_mod._recent.clear()


def plain_hazard_metric(hazard_zone: Any | None, incident_m: Any, floor_m: float) -> Any:
    if hazard_zone is None or hazard_zone.is_empty:
        return incident_m.buffer(floor_m)
    hazard_m = shapely.make_valid(to_metric(hazard_zone))
    polys = [g for g in shapely.get_parts(hazard_m) if g.geom_type in ("Polygon", "MultiPolygon")]
    hazard_m = shapely.union_all(polys) if polys else incident_m.buffer(floor_m)
    return hazard_m if float(hazard_m.area) > 0 else incident_m.buffer(floor_m)


def plain_area(
    zone: Any, lon: float, lat: float, districts: Sequence[DistrictLike], policy: Policy, r: Any
) -> AlertArea:
    """alert_area as first written: GEOS point buffers, the plain district loop, no caches.

    (_single_polygon, _simplify and _to_cap_polygon are unchanged from that version.)
    """
    forget()
    try:
        incident_m = to_metric(Point(lon, lat))
        floor_m = max(policy.min_radius_m, r or 0.0)
        hazard_m = plain_hazard_metric(zone, incident_m, floor_m)
        circle = incident_m.buffer(policy.min_radius_m)
        polygon_m = area_mod._single_polygon(hazard_m.union(circle))
        polygon_m = area_mod._simplify(polygon_m, policy)
        polygon = area_mod._to_cap_polygon(polygon_m)
        if not polygon.contains(Point(lon, lat)):
            polygon_m = area_mod._single_polygon(polygon_m.union(circle))
            polygon = area_mod._to_cap_polygon(polygon_m.buffer(5.0))
        area_m = to_metric(polygon)
        touched, target_m, home = plain_districts(area_m, incident_m, districts, policy)
        reach = float(shapely.hausdorff_distance(incident_m, hazard_m.boundary))
        inter = float(area_m.intersection(hazard_m).area)
        poly_over = 1.0 - inter / max(float(area_m.area), 1e-9)
        district_over = poly_over
        if target_m is not None and not target_m.is_empty:
            inter = float(target_m.intersection(hazard_m).area)
            district_over = 1.0 - inter / float(target_m.area)
        return AlertArea(
            polygon,
            touched,
            float(area_m.area),
            float(hazard_m.area),
            min(1.0, max(0.0, poly_over)),
            min(1.0, max(0.0, district_over)),
            reach,
            home,
        )
    finally:
        forget()


def assert_same(fast: AlertArea, plain: AlertArea) -> None:
    assert shapely.to_wkb(fast.polygon) == shapely.to_wkb(plain.polygon)
    assert fast.districts == plain.districts
    assert fast.home == plain.home
    assert fast.area_m2 == plain.area_m2
    assert fast.hazard_area_m2 == plain.hazard_area_m2
    assert fast.polygon_overshoot_ratio == plain.polygon_overshoot_ratio
    assert fast.district_overshoot_ratio == plain.district_overshoot_ratio
    assert fast.reach_m == plain.reach_m


def sample_cases(
    bbox: tuple[float, float, float, float], n: int, seed: int
) -> list[tuple[Any, float, float, float | None]]:
    """Hazard zones (geo's, merged ones, none) at random points of a bounding box."""
    rng = random.Random(seed)
    west, south, east, north = bbox
    cases: list[tuple[Any, float, float, float | None]] = []
    kinds = ["fire", "gas_leak", "hazmat", "flood", "collapse", "none", "merged"]
    for k in range(n):
        lon, lat = rng.uniform(west, east), rng.uniform(south, north)
        kind = kinds[k % len(kinds)]
        wind = rng.choice([None, rng.uniform(0, 360)])
        if kind == "none":
            cases.append((None, lon, lat, rng.choice([None, 300.0])))
        elif kind == "merged":  # a duplicate folded in: the union of two nearby zones
            other = hazard_zone("gas_leak", lon + 0.002, lat + 0.001)
            cases.append(
                (shapely.union_all([hazard_zone("fire", lon, lat), other]), lon, lat, None)
            )
        else:
            cases.append((hazard_zone(kind, lon, lat, wind_from_deg=wind), lon, lat, None))
    return cases


def check_cases(
    districts: Sequence[DistrictLike], policy: Policy, bbox: tuple[float, ...], n: int
) -> int:
    """Fast (shared index, caches) vs plain on n sample cases; returns how many touch districts."""
    index = DistrictIndex(districts)
    touching = 0
    for zone, lon, lat, r in sample_cases((bbox[0], bbox[1], bbox[2], bbox[3]), n, seed=n):
        fast = alert_area(zone, lon, lat, index, policy, radius_m=r)
        again = alert_area(zone, lon, lat, index, policy, radius_m=r)  # from the cache
        plain = plain_area(zone, lon, lat, districts, policy, r)
        assert_same(fast, plain)
        assert_same(again, plain)
        touching += bool(plain.districts)
    return touching


def test_builtin_city_districts_match_the_plain_loop(policy: Policy) -> None:
    city = load_city(None)
    districts = (*city.districts, *city.dongs)
    touching = check_cases(districts, policy, city.bbox, 70)
    assert touching >= 50  # the sample really exercises the district search


def test_literal_districts_match_the_plain_loop(policy: Policy) -> None:
    west, south = CITY_HALL[0] - 0.03, CITY_HALL[1] - 0.03
    bbox = (west, south, CITY_HALL[0] + 0.03, CITY_HALL[1] + 0.03)
    assert check_cases(LITERAL_DISTRICTS, policy, bbox, 35) >= 10


def test_seoul_districts_match_the_plain_loop(
    policy: Policy, seoul_gu: tuple[DistrictShape, ...], seoul_dong: tuple[DistrictShape, ...]
) -> None:
    districts = (*seoul_gu, *seoul_dong)
    bbox = tuple(shapely.total_bounds([d.geometry for d in seoul_gu]))
    assert check_cases(districts, policy, bbox, 60) >= 20  # the bbox overhangs Seoul


def test_a_changed_district_list_is_not_served_from_the_old_index(policy: Policy) -> None:
    districts = list(LITERAL_DISTRICTS)
    first = alert_area(circle(*CITY_HALL, 300), *CITY_HALL, districts, policy)
    assert first.districts
    districts[:] = [d for d in districts if d.level == "gu"]  # same list object, mutated
    forget()
    second = alert_area(circle(*CITY_HALL, 300), *CITY_HALL, districts, policy)
    assert {d.level for d in second.districts} == {"gu"}
    assert district_index(districts).districts == tuple(districts)


def test_the_same_list_reuses_its_index() -> None:
    districts = list(LITERAL_DISTRICTS)
    assert district_index(districts) is district_index(districts)
    assert district_index(list(LITERAL_DISTRICTS)) is not None
    index = DistrictIndex(districts)
    assert district_index(index) is index
    assert len(index) == len(districts)


def test_no_districts_no_targets(policy: Policy) -> None:
    area = alert_area(circle(*CITY_HALL, 300), *CITY_HALL, [], policy)
    assert area.districts == () and area.home == ()
    assert area.district_overshoot_ratio == area.polygon_overshoot_ratio


@settings(max_examples=200, deadline=None)
@given(
    x=st.floats(-2e6, 3e6) | st.sampled_from([0.0, -0.0, 5e-324]),
    y=st.floats(-2e6, 4e6) | st.sampled_from([0.0, -0.0, -5e-324]),
    radius_m=st.floats(0.5, 5000),
)
def test_circle_equals_the_geos_point_buffer_anywhere(x: float, y: float, radius_m: float) -> None:
    center = Point(x, y)
    assert shapely.to_wkb(circle_m(center, radius_m)) == shapely.to_wkb(center.buffer(radius_m))


@settings(max_examples=200, deadline=None)
@given(
    lon=st.floats(124.0, 132.0),
    lat=st.floats(33.0, 39.5),
    radius_m=st.sampled_from([100.0, 300.0]) | st.floats(0.5, 5000),
)
def test_metric_point_and_circle_equal_the_plain_ones(
    lon: float, lat: float, radius_m: float
) -> None:
    plain_point = to_metric(Point(lon, lat))
    point = point_to_metric(lon, lat)
    assert (point.x, point.y) == (plain_point.x, plain_point.y)
    plain = plain_point.buffer(radius_m)
    assert shapely.to_wkb(circle_m(point, radius_m)) == shapely.to_wkb(plain)
