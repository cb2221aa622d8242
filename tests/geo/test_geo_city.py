"""The built-in city: complete, deterministic, cached."""

from __future__ import annotations

from pathlib import Path

from geo import UNIT_KINDS, City, clear_city_cache, load_city
from geo.builtin import builtin_city


def test_builtin_city_has_every_layer(builtin: City) -> None:
    assert builtin.roads.node_count > 1000
    assert builtin.stations and builtin.hydrants and builtin.cameras and builtin.facilities
    assert {f.kind for f in builtin.facilities} == {
        "emergency_room",
        "shelter",
        "school",
        "care_home",
    }
    assert len(builtin.districts) == 4 and len(builtin.dongs) == 16
    for station in builtin.stations:
        assert station.units
        assert all(u.kind in UNIT_KINDS for u in station.units)
        assert station.district is not None
    unit_ids = [u.unit_id for s in builtin.stations for u in s.units]
    assert len(unit_ids) == len(set(unit_ids))


def test_builtin_city_is_deterministic(builtin: City) -> None:
    again = builtin_city()
    assert again.stations == builtin.stations
    assert again.hydrants == builtin.hydrants
    assert again.cameras == builtin.cameras
    assert again.roads.edge_count == builtin.roads.edge_count


def test_builtin_loads_once_and_is_cached() -> None:
    clear_city_cache()
    city = load_city(None)
    assert load_city(None) is city
    assert load_city(Path("/nonexistent")) is city  # no Seoul files there


def test_districts_lookup(builtin: City) -> None:
    lon, lat = builtin.roads.node_lonlat(0)  # south-west corner
    gu = builtin.district_at(lon, lat)
    assert gu is not None and gu.name == "남서구" and gu.level == "gu"
    dong = builtin.dong_at(lon, lat)
    assert dong is not None and dong.level == "dong"
    assert builtin.district_at(0.0, 0.0) is None
    min_lon, min_lat, max_lon, max_lat = builtin.bbox
    assert min_lon < lon < max_lon and min_lat < lat < max_lat
