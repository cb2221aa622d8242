"""Fleet arrays: positions, staleness, turnout and nodes as the per-unit rules say."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import numpy as np

from dispatch import Unit, UnitStatus
from dispatch.snapshot import AT_STATION_M, FleetArrays, straight_line_m
from geo import load_city

NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
STALE_S = 120.0


def _units(rng: random.Random) -> list[Unit]:
    city = load_city(None)
    out = []
    for i, st in enumerate(city.stations * 3):
        fix = rng.choice(["none", "fresh", "edge", "old", "near"])
        lon = lat = at = None
        if fix != "none":
            lon = st.lon + (0.0005 if fix == "near" else rng.uniform(-0.01, 0.01))
            lat = st.lat
            age = {"fresh": 10.0, "edge": STALE_S, "old": STALE_S + 1e-6, "near": 5.0}[fix]
            at = NOW - timedelta(seconds=age)
        kind = rng.choice(["ambulance", "engine", "rescue"])
        out.append(
            Unit(f"U{i}", kind, st.id, st.lon, st.lat, UnitStatus.AVAILABLE, NOW, lon, lat, at)
        )
    return out


def test_select_follows_the_per_unit_rules() -> None:
    city = load_city(None)
    units = _units(random.Random(4))

    def snap(lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
        return city.roads.snap_many(lons, lats)[0]

    arrays = FleetArrays(units, snap)
    lon, lat = 127.0, 37.5
    got = arrays.select(
        {"ambulance", "rescue"}, NOW, lon, lat, stale_after_s=STALE_S, turnout_s=60.0
    )
    expected = [u for u in units if u.kind in {"ambulance", "rescue"}]
    assert [u.unit_id for u in got.units] == [u.unit_id for u in expected]
    for i, u in enumerate(expected):
        pos = u.position(NOW, STALE_S)
        assert bool(got.stale[i]) == pos.stale
        assert int(got.nodes[i]) == city.roads.snap(pos.lon, pos.lat).node
        near = straight_line_m(pos.lon, pos.lat, u.station_lon, u.station_lat) <= AT_STATION_M
        assert got.turnout_s[i] == (60.0 if near else 0.0)
        assert abs(got.distance_m[i] - straight_line_m(pos.lon, pos.lat, lon, lat)) < 1e-6
        assert got.index_of[u.unit_id] == i
        assert i in got.by_kind[u.kind].tolist()
    assert sorted(got.by_kind) == ["ambulance", "rescue"]


def test_empty_fleet() -> None:
    arrays = FleetArrays([], lambda lons, lats: np.zeros(len(lons), np.int64))
    got = arrays.select({"engine"}, NOW, 127.0, 37.5, stale_after_s=STALE_S, turnout_s=60.0)
    assert got.units == [] and len(got.nodes) == 0 and got.by_kind == {}
