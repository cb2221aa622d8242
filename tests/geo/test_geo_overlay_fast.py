"""The fast overlay pieces equal the straightforward computations they replace."""

from __future__ import annotations

import math
import random
from typing import Any

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import mapping

import geo.hazards as hazards_mod
from geo import City, build_overlay
from geo.cameras import cameras_seeing
from geo.geojson import geojson_mapping
from geo.hazards import SECTOR_STEPS, circle_m, hazard_footprint, hazard_rules, hazard_zone_metric
from geo.overlay import HYDRANT_LIMIT, HYDRANT_MAX_M, SNAP_TRUST_M, Overlay
from geo.street_reach import StreetReach

TYPES = ("fire", "gas_leak", "hazmat", "medical", "flood", "collapse", "other")


def plain_zone_metric(
    kind: str, x: float, y: float, wind_from_deg: float | None, wind_speed_mps: float | None
) -> Any:
    """The zone as first written: a GEOS point buffer, plus the downwind sector."""
    tab = hazard_rules()
    rule = tab.rule(kind)
    zone = shapely.Point(x, y).buffer(rule.radius_m, quad_segs=16)
    if wind_from_deg is None or rule.downwind_m <= 0 or not math.isfinite(wind_from_deg):
        return zone
    half = rule.half_angle_deg
    if wind_speed_mps is not None and wind_speed_mps < tab.calm_wind_mps:
        half = max(half, tab.calm_half_angle_deg)
    toward = (wind_from_deg + 180.0) % 360.0
    ring = [(x, y)]
    for k in range(SECTOR_STEPS + 1):
        b = math.radians(toward - half + 2 * half * k / SECTOR_STEPS)
        ring.append((x + rule.downwind_m * math.sin(b), y + rule.downwind_m * math.cos(b)))
    return shapely.union(zone, shapely.Polygon(ring).buffer(0))


def plain_hydrants(city: City, lon: float, lat: float) -> list[dict[str, Any]]:
    """nearest_hydrants as first written: scipy's street distances over the whole graph."""
    if not city.hydrants:
        return []
    tree, nodes, snap_m = city.hydrant_index
    x, y = city.projection.point_to_metric(lon, lat)
    idx = tree.query_ball_point((x, y), HYDRANT_MAX_M)
    if not idx:
        return []
    scene = city.roads.snap(lon, lat)
    along = None
    if scene.distance_m <= SNAP_TRUST_M:
        along = city.roads.street_distances_from(scene.node, HYDRANT_MAX_M + SNAP_TRUST_M)
    out = []
    for i in idx:
        h = city.hydrants[i]
        straight_m = float(np.hypot(tree.data[i, 0] - x, tree.data[i, 1] - y))
        basis, distance_m = "straight", straight_m
        if along is not None and snap_m[i] <= SNAP_TRUST_M and np.isfinite(along[nodes[i]]):
            basis = "street"
            distance_m = max(
                straight_m, scene.distance_m + float(along[nodes[i]]) + float(snap_m[i])
            )
        if distance_m <= HYDRANT_MAX_M:
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
    return out[:HYDRANT_LIMIT]


def plain_overlay(city: City, kind: str, lon: float, lat: float) -> Overlay:
    """build_overlay as first written (no shared zone, shapely mapping, scipy distances)."""
    proj = city.projection
    x, y = proj.point_to_metric(lon, lat)
    zone_m = plain_zone_metric(kind, x, y, None, None)
    facilities = []
    if city.facilities:
        tree, _, _ = city.facility_index
        reach_m = float(np.max(np.hypot(*(np.asarray(zone_m.exterior.coords) - (x, y)).T)))
        for i in tree.query_ball_point((x, y), reach_m + 1.0):
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
        hazard_zone=mapping(proj.geometry_to_wgs84(zone_m)),
        hydrants=plain_hydrants(city, lon, lat),
        cameras=[v.to_dict() for v in cameras_seeing(city, lon, lat)],
        vulnerable_facilities=facilities,
        hazard_source=hazard_rules().rule(kind).source,
    )


def sample_points(city: City, n: int, seed: int) -> list[tuple[float, float]]:
    """Random points over the city, half of them right next to a hydrant."""
    rng = random.Random(seed)
    west, south, east, north = city.bbox
    out = [(rng.uniform(west, east), rng.uniform(south, north)) for _ in range(n // 2)]
    for h in rng.sample(list(city.hydrants), min(n - len(out), len(city.hydrants))):
        out.append((h.lon + rng.uniform(-0.001, 0.001), h.lat + rng.uniform(-0.001, 0.001)))
    return out


def check_overlays(city: City, n: int) -> int:
    """build_overlay == plain_overlay at n points; returns how many had street distances."""
    hazards_mod._footprint.cache_clear()
    streets = 0
    for k, (lon, lat) in enumerate(sample_points(city, n, seed=n)):
        kind = TYPES[k % len(TYPES)]
        fast = build_overlay(city, kind, lon, lat)
        assert fast == plain_overlay(city, kind, lon, lat)
        assert build_overlay(city, kind, lon, lat) == fast  # from the shared zone
        streets += any(h["distance_basis"] == "street" for h in fast.hydrants)
    return streets


def test_builtin_overlays_match_the_plain_computation(builtin: City) -> None:
    assert check_overlays(builtin, 80) >= 20


def test_seoul_overlays_match_the_plain_computation(seoul: City) -> None:
    check_overlays(seoul, 80)


def check_street_reach(city: City, seed: int) -> None:
    reach = StreetReach(city.roads)
    rng = np.random.default_rng(seed)
    for node in rng.integers(0, city.roads.node_count, 60).tolist():
        for limit_m in (0.0, 150.0, 450.0, 2000.0):
            plain = city.roads.street_distances_from(node, limit_m)
            fast = reach.distances_from(node, limit_m)
            finite = np.flatnonzero(np.isfinite(plain)).tolist()
            assert sorted(fast) == finite
            assert all(fast[i] == plain[i] for i in finite)  # the very same floats
            targets = rng.choice(city.roads.node_count, 5).tolist() + finite[-2:]
            early = reach.distances_from(node, limit_m, targets)  # stops once they are settled
            assert all(early[t] == plain[t] for t in targets if np.isfinite(plain[t]))
            assert not any(t in early for t in targets if not np.isfinite(plain[t]))
            assert all(early[i] == plain[i] for i in early)  # whatever else it holds is final


def test_street_reach_equals_scipy_on_the_builtin_city(builtin: City) -> None:
    check_street_reach(builtin, 1)


def test_street_reach_equals_scipy_on_seoul(seoul: City) -> None:
    check_street_reach(seoul, 2)


def test_street_reach_limit_is_inclusive(builtin: City) -> None:
    plain = builtin.roads.street_distances_from(0, 1000.0)
    far = int(np.nanargmax(np.where(np.isfinite(plain), plain, np.nan)))
    exact = float(plain[far])
    assert far in StreetReach(builtin.roads).distances_from(0, exact)
    assert far not in StreetReach(builtin.roads).distances_from(0, np.nextafter(exact, 0))


@settings(max_examples=300, deadline=None)
@given(
    x=st.floats(-2e6, 3e6) | st.sampled_from([0.0, -0.0, 5e-324, -5e-324]),
    y=st.floats(-2e6, 4e6) | st.sampled_from([0.0, -0.0, 5e-324, -5e-324]),
    radius_m=st.sampled_from([30.0, 100.0, 300.0, 800.0, 1000.0]) | st.floats(0.5, 5000),
)
def test_circle_template_equals_the_geos_point_buffer(x: float, y: float, radius_m: float) -> None:
    plain = shapely.Point(x, y).buffer(radius_m, quad_segs=16)
    assert shapely.to_wkb(circle_m(x, y, radius_m)) == shapely.to_wkb(plain)


@settings(max_examples=100, deadline=None)
@given(
    kind=st.sampled_from(TYPES),
    dx=st.floats(-20000, 20000),
    dy=st.floats(-20000, 20000),
    wind=st.none() | st.floats(0, 360),
    speed=st.none() | st.floats(0, 10),
)
def test_hazard_zone_metric_equals_the_plain_zone(
    kind: str, dx: float, dy: float, wind: float | None, speed: float | None
) -> None:
    x, y = 953000.0 + dx, 1952000.0 + dy
    fast = hazard_zone_metric(kind, x, y, wind_from_deg=wind, wind_speed_mps=speed)
    plain = plain_zone_metric(kind, x, y, wind, speed)
    assert shapely.to_wkb(fast) == shapely.to_wkb(plain)


def test_footprint_is_shared_and_matches_its_parts(builtin: City) -> None:
    lon, lat = 126.978, 37.5665
    one = hazard_footprint("gas_leak", lon, lat, crs=builtin.projection.crs)
    assert hazard_footprint("gas_leak", lon, lat, crs=builtin.projection.crs) is one
    x, y = builtin.projection.point_to_metric(lon, lat)
    assert (one.x, one.y) == (x, y)
    plain = builtin.projection.geometry_to_wgs84(plain_zone_metric("gas_leak", x, y, None, None))
    assert shapely.to_wkb(one.zone_wgs84) == shapely.to_wkb(plain)


polygons = st.builds(
    lambda x, y, w, h, hole: shapely.Polygon(
        [(x, y), (x + w, y), (x + w, y + h), (x, y + h)],
        [[(x + w / 4, y + h / 4), (x + w / 2, y + h / 4), (x + w / 2, y + h / 2)]] if hole else [],
    ),
    st.floats(-170, 170),
    st.floats(-80, 80),
    st.floats(0.001, 5),
    st.floats(0.001, 5),
    st.booleans(),
)


@settings(max_examples=100, deadline=None)
@given(geom=polygons | st.builds(shapely.Point, st.floats(-180, 180), st.floats(-90, 90)))
def test_geojson_mapping_equals_shapely_mapping(geom: Any) -> None:
    fast, plain = geojson_mapping(geom), mapping(geom)
    assert fast == plain and repr(fast) == repr(plain)


@pytest.mark.parametrize(
    "geom",
    [
        shapely.Polygon(),
        shapely.MultiPolygon([shapely.box(0, 0, 1, 1), shapely.box(2, 2, 3, 3)]),
        shapely.Polygon([(0, 0, 1), (1, 0, 1), (1, 1, 1)]),
        shapely.LineString([(0, 0), (1, 1)]),
    ],
)
def test_geojson_mapping_hands_other_shapes_to_shapely(geom: Any) -> None:
    assert repr(geojson_mapping(geom)) == repr(mapping(geom))
