"""The fast path (station table, cached fleet arrays, incremental coverage) decides exactly
like the plain path (reverse searches, routes searched, everything rebuilt per call)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from dispatch import (
    INCIDENT_TYPES,
    Fleet,
    Recommendation,
    Recommender,
    Unit,
    UnitStatus,
    UnitUpdate,
    seed_fleet,
)
from dispatch.run_cards import PRIORITIES
from geo import City, load_city
from geo.load import has_seoul_data
from tests.geo.geo_seoul_data import SEOUL_DIR, SEOUL_SKIP_REASON

NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def builtin() -> City:
    return load_city(None)


@pytest.fixture(scope="module")
def seoul() -> City:
    if not has_seoul_data(SEOUL_DIR):
        pytest.skip(SEOUL_SKIP_REASON)
    return load_city(SEOUL_DIR)


def _mixed_fleet(city: City, rng: random.Random) -> Fleet:
    """Station units, some busy, some on the road with a fresh fix, some with a stale one."""
    fleet = seed_fleet(city.stations, NOW - timedelta(minutes=30))
    lons, lats = city.roads.node_lonlats()
    for unit in list(fleet):
        roll = rng.random()
        at = NOW - timedelta(seconds=rng.uniform(0, 60))
        if roll < 0.25:
            fleet.apply(UnitUpdate(unit.unit_id, at, UnitStatus.DISPATCHED))
        elif roll < 0.40:  # on the road, 10 m off a random node: not at a station node
            n = rng.randrange(city.roads.node_count)
            lon, lat = float(lons[n]) + 1e-4, float(lats[n])
            fleet.apply(UnitUpdate(unit.unit_id, at, UnitStatus.AVAILABLE, lon, lat))
        elif roll < 0.45:  # last fix long ago: taken to be at its station, flagged stale
            n = rng.randrange(city.roads.node_count)
            old = NOW - timedelta(minutes=20)
            fleet.apply(UnitUpdate(unit.unit_id, old, UnitStatus.AVAILABLE, lons[n], lats[n]))
    return fleet


def _copy(fleet: Fleet) -> Fleet:
    """A new fleet object with the same units (so nothing cached for it is reused)."""
    return Fleet(list(fleet))


def _assert_same(fast: Recommendation, plain: Recommendation) -> None:
    assert fast == plain  # units (ids, ETAs, distances, flags), breach, reasons, unfilled
    assert [p.route for p in fast.units] == [p.route for p in plain.units]
    assert [p.eta_s for p in fast.units] == [p.eta_s for p in plain.units]


def _compare(city: City, incidents: int, seed: int) -> int:
    """Run both paths over a sample of incidents; returns how many units were recommended."""
    rng = random.Random(seed)
    fast = Recommender(city)
    fast.prepare_coverage()
    plain = Recommender(city, use_station_table=False)
    plain.prepare_coverage()
    assert fast.coverage is not None and plain.coverage is not None
    for site, times in plain.coverage.site_times.items():  # table rows == forward searches
        assert np.array_equal(fast.coverage.site_times[site], times)
    fleet = _mixed_fleet(city, rng)
    lons, lats = city.roads.node_lonlats()
    picked = 0
    for i in range(incidents):
        n = rng.randrange(city.roads.node_count)
        lon, lat = float(lons[n]) + rng.uniform(-3e-4, 3e-4), float(lats[n])
        kind = rng.choice(INCIDENT_TYPES)
        priority = rng.choice(PRIORITIES)
        patients = rng.choice([0, 0, 0, 2, 8])
        now = NOW + timedelta(seconds=i)
        args = (kind, priority, lon, lat)
        kw = {"patients": patients, "elapsed_s": rng.uniform(0, 200), "with_routes": True}
        a = fast.recommend(*args, fleet, now, **kw)  # type: ignore[arg-type]
        b = plain.recommend(*args, _copy(fleet), now, **kw)  # type: ignore[arg-type]
        _assert_same(a, b)
        picked += len(a.units)
        roll = rng.random()  # the fleet changes between incidents
        if a.units and roll < 0.3:
            fleet.apply(UnitUpdate(a.units[0].unit_id, now, UnitStatus.DISPATCHED))
        elif roll < 0.6:
            busy = [u for u in fleet if u.status is UnitStatus.DISPATCHED]
            if busy:
                back = rng.choice(busy)
                fleet.apply(
                    UnitUpdate(back.unit_id, now, UnitStatus.AVAILABLE, back.station_lon,
                               back.station_lat)
                )  # fmt: skip
    return picked


def test_fast_path_equals_plain_path_on_builtin(builtin: City) -> None:
    assert _compare(builtin, 150, seed=3) > 100


def test_fast_path_equals_plain_path_on_seoul(seoul: City) -> None:
    assert _compare(seoul, 120, seed=5) > 80


def test_units_at_stations_cost_no_search(builtin: City, monkeypatch: pytest.MonkeyPatch) -> None:
    rec = Recommender(builtin)
    rec.prepare_coverage()
    fleet = seed_fleet(builtin.stations, NOW)
    assert builtin.station_table is not None
    searches: list[int] = []
    real = builtin.roads.times_to

    def counted(target: int, horizon_s: float = np.inf) -> np.ndarray:
        searches.append(target)
        return real(target, horizon_s)

    monkeypatch.setattr(builtin.roads, "times_to", counted)
    lons, lats = builtin.roads.node_lonlats()
    for n in range(0, builtin.roads.node_count, 150):
        got = rec.recommend("fire", 2, float(lons[n]), float(lats[n]), fleet, NOW, with_routes=True)
        assert got.units and all(p.route is not None for p in got.units)
    assert searches == []
    # a unit away from any station node costs one reverse search for the incident
    unit = next(iter(fleet))
    n = next(n for n in range(builtin.roads.node_count) if n not in builtin.station_nodes)
    fleet.apply(UnitUpdate(unit.unit_id, NOW, UnitStatus.AVAILABLE, lons[n], lats[n]))
    rec.recommend("fire", 2, float(lons[0]), float(lats[0]), fleet, NOW)
    assert len(searches) == 1


def test_cached_views_follow_fleet_changes(builtin: City) -> None:
    rec = Recommender(builtin)
    rec.prepare_coverage()
    fleet = seed_fleet(builtin.stations, NOW)
    st = builtin.stations[0]
    first = rec.recommend("medical", 2, st.lon, st.lat, fleet, NOW)
    assert first.units
    gone = first.units[0].unit_id
    version = fleet.version
    fleet.apply(UnitUpdate(gone, NOW, UnitStatus.DISPATCHED))
    assert fleet.version > version
    assert gone not in {u.unit_id for u in fleet.available()}
    again = rec.recommend("medical", 2, st.lon, st.lat, fleet, NOW)
    assert gone not in again.unit_ids
    assert rec.coverage is not None

    def counted() -> set[str]:
        return {u.unit_id for u in fleet.available() if u.kind in rec.cover_travel_s}

    assert rec.coverage.unit_ids() == counted()
    # put() (state loaded back from the store) also invalidates the cached views
    back: Unit = fleet.get(gone)
    fleet.put(Unit(**{**back.__dict__, "status": UnitStatus.AVAILABLE}))
    third = rec.recommend("medical", 2, st.lon, st.lat, fleet, NOW)
    assert third.unit_ids == first.unit_ids
    assert rec.coverage.unit_ids() == counted()
