"""GeoJSON layers of the city and district lookups by area."""

from __future__ import annotations

import json

import numpy as np
import pytest
import shapely
from shapely.geometry import shape

from geo import City, coverage_by_district, hazard_zone
from geo.layers import district_features, point_features, road_features


def test_road_features_mark_one_way_links(builtin: City) -> None:
    layer = road_features(builtin)
    feats = layer["features"]
    one_way = [f for f in feats if f["properties"]["one_way"]]
    two_way = [f for f in feats if not f["properties"]["one_way"]]
    assert one_way and two_way
    # every two-way street is drawn once: features = edges - two-way pairs
    assert len(feats) == builtin.roads.edge_count - len(two_way)
    assert all(f["properties"]["speed_kph"] > 0 for f in feats)
    json.dumps(layer)


def test_road_features_in_a_bbox(builtin: City) -> None:
    small = road_features(builtin, bbox=(126.975, 37.564, 126.981, 37.569))
    assert 0 < len(small["features"]) < len(road_features(builtin)["features"])


def test_district_and_point_layers(builtin: City) -> None:
    gus = district_features(builtin, "gu")
    assert [f["properties"]["name"] for f in gus["features"]] == [d.name for d in builtin.districts]
    dongs = district_features(builtin, "dong", simplify_m=10.0)
    assert len(dongs["features"]) == 16
    stations = point_features(builtin, "stations")
    first = stations["features"][0]["properties"]
    assert first["units"][0]["unit_id"].startswith("E-")
    assert len(point_features(builtin, "hydrants")["features"]) == len(builtin.hydrants)
    json.dumps(point_features(builtin, "cameras"))


def test_districts_intersecting_a_hazard_zone(builtin: City) -> None:
    lon, lat = 126.978, 37.5665  # the centre of the demo city: all four gu meet here
    zone = hazard_zone("gas_leak", lon, lat)
    names = {d.name for d in builtin.districts_intersecting(zone)}
    assert names == {"남서구", "남동구", "북서구", "북동구"}
    small = shapely.Point(builtin.roads.node_lonlat(0)).buffer(0.0001)
    assert [d.name for d in builtin.districts_intersecting(small)] == ["남서구"]
    assert builtin.dongs_intersecting(shape(zone.__geo_interface__))


def test_district_codes_at_agrees_with_district_at(builtin: City) -> None:
    lons, lats = builtin.roads.node_lonlats()
    lons = np.append(lons[::7], 0.0)
    lats = np.append(lats[::7], 0.0)
    codes = builtin.district_codes_at(lons, lats)
    for lon, lat, code in zip(lons, lats, codes, strict=True):
        one = builtin.district_at(float(lon), float(lat))
        assert code == (one.code if one else None)
    assert codes[-1] is None


def test_coverage_by_district(builtin: City) -> None:
    hq = builtin.station("DEMO-HQ1")  # in 북서구 (99030)
    assert hq is not None
    node = builtin.roads.snap(hq.lon, hq.lat).node
    shares = coverage_by_district(builtin, [node], 120.0)
    assert set(shares) == {d.code for d in builtin.districts}
    assert all(0.0 <= v <= 1.0 for v in shares.values())
    assert shares["99030"] == max(shares.values()) > 0.0
    everything = coverage_by_district(builtin, [node], 1e6)
    assert all(v == pytest.approx(1.0) for v in everything.values())
    assert set(coverage_by_district(builtin, [], 100.0).values()) == {0.0}
