"""Alert area: valid simple polygon around the incident, districts touched, overshoot."""

from __future__ import annotations

import math

import shapely
from alert_samples import (
    CITY_HALL,
    EAST_GU,
    LITERAL_DISTRICTS,
    WEST_GU,
    WEST_NORTH_DONG,
    circle,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, Polygon

from alerts import alert_area
from alerts.metric import area_m2, to_metric, to_wgs84


def plume_sector(
    lon: float, lat: float, towards_deg: float, length_m: float, half_angle_deg: float
) -> Polygon:
    """A downwind plume sector (a named geometry like geo's hazard_zone would give)."""
    origin = to_metric(Point(lon, lat))
    pts = [(origin.x, origin.y)]
    for k in range(-8, 9):
        bearing = math.radians(towards_deg + half_angle_deg * k / 8)
        pts.append(
            (origin.x + length_m * math.sin(bearing), origin.y + length_m * math.cos(bearing))
        )
    out: Polygon = to_wgs84(Polygon(pts))
    return out


@settings(max_examples=60, deadline=None)
@given(
    dlon=st.floats(-0.015, 0.015),
    dlat=st.floats(-0.015, 0.015),
    radius_m=st.floats(5, 3000),
    towards=st.floats(0, 360),
    kind=st.sampled_from(["none", "circle", "plume", "detached", "multi"]),
)
def test_area_is_valid_simple_and_contains_incident(policy, dlon, dlat, radius_m, towards, kind):
    lon, lat = CITY_HALL[0] + dlon, CITY_HALL[1] + dlat
    if kind == "none":
        zone = None
    elif kind == "circle":
        zone = circle(lon, lat, radius_m)
    elif kind == "plume":
        zone = plume_sector(lon, lat, towards, radius_m, 20)
    elif kind == "detached":  # a hazard zone that does not even reach the incident
        zone = circle(lon + 0.01, lat, radius_m)
    else:
        zone = shapely.union_all(
            [circle(lon, lat, 50), plume_sector(lon, lat, towards, radius_m + 200, 10)]
        )
    area = alert_area(zone, lon, lat, LITERAL_DISTRICTS, policy)
    poly = area.polygon
    assert poly.geom_type == "Polygon" and poly.is_valid and not poly.interiors
    assert poly.contains(Point(lon, lat))
    assert len(poly.exterior.coords) <= policy.max_vertices
    assert 0.0 <= area.overshoot_ratio <= 1.0 and 0.0 <= area.polygon_overshoot_ratio <= 1.0
    if zone is not None:  # the alert polygon covers (nearly all of) the hazard zone
        uncovered = area_m2(zone.difference(poly)) / max(area_m2(zone), 1.0)
        assert uncovered < 0.01
    for lonlat in poly.exterior.coords:  # 6-decimal grid, as CAP carries it
        assert all(abs(v * 1e6 - round(v * 1e6)) < 1e-3 for v in lonlat)


def test_districts_touched_gu_before_dong(policy):
    area = alert_area(circle(*CITY_HALL, 300), *CITY_HALL, LITERAL_DISTRICTS, policy)
    assert [d.code for d in area.districts] == [WEST_GU.code, WEST_NORTH_DONG.code]
    assert {d.code for d in area.home} == {WEST_GU.code, WEST_NORTH_DONG.code}


def test_zone_across_a_border_targets_both_gu(policy):
    lon, lat = 126.979, 37.570  # 90 m west of the WEST/EAST border
    area = alert_area(circle(lon, lat, 500), lon, lat, LITERAL_DISTRICTS, policy)
    codes = {d.code for d in area.districts}
    assert {WEST_GU.code, EAST_GU.code} <= codes


def test_overshoot_of_a_small_zone_in_a_big_dong_is_large(policy):
    small = alert_area(circle(*CITY_HALL, 150), *CITY_HALL, LITERAL_DISTRICTS, policy)
    big = alert_area(circle(*CITY_HALL, 600), *CITY_HALL, LITERAL_DISTRICTS, policy)
    assert small.overshoot_ratio > 0.9
    assert big.overshoot_ratio < small.overshoot_ratio


def test_no_districts_overshoot_is_polygon_overshoot(policy):
    area = alert_area(circle(*CITY_HALL, 300), *CITY_HALL, (), policy)
    assert area.districts == () and area.overshoot_ratio == area.polygon_overshoot_ratio
    assert area.polygon_overshoot_ratio < 0.1  # simplification keeps the polygon tight


def test_real_seoul_gas_leak_at_city_hall(policy, seoul_gu, seoul_dong):
    lon, lat = 126.9780, 37.5665  # 서울시청, 중구
    area = alert_area(circle(lon, lat, 400), lon, lat, (*seoul_gu, *seoul_dong), policy)
    gu = [d for d in area.districts if d.level == "gu"]
    assert "중구" in {d.name for d in gu}
    assert [d.name for d in area.home if d.level == "gu"] == ["중구"]
    assert any(d.level == "dong" for d in area.districts)
    assert 0.5 < area.overshoot_ratio < 1.0  # dong cells are much bigger than 400 m


def test_real_seoul_plume_over_the_han_river(policy, seoul_gu):
    lon, lat = 126.9470, 37.5290  # 용산구 riverside, plume blowing south over the river
    zone = plume_sector(lon, lat, 180, 3000, 25)
    area = alert_area(zone, lon, lat, seoul_gu, policy)
    names = {d.name for d in area.districts}
    assert "용산구" in names and names & {"동작구", "영등포구"}
    assert area.polygon.contains(Point(lon, lat))
