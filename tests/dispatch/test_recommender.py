"""Recommender on geo's built-in city: road ETAs, routes, stale fixes, widening, move-ups."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from dispatch import Fleet, Recommender, UnitStatus, UnitUpdate, seed_fleet
from geo import City, load_city

NOW = datetime(2026, 11, 21, 4, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def city() -> City:
    return load_city(None)


@pytest.fixture(scope="module")
def recommender(city: City) -> Recommender:
    r = Recommender(city, stale_after_s=120)
    r.prepare_coverage()
    return r


def fleet(city: City) -> Fleet:
    return seed_fleet(city.stations, NOW)


def station(city: City, sid: str):  # type: ignore[no-untyped-def]
    return next(s for s in city.stations if s.id == sid)


def test_nearest_ambulance_by_road_with_route(city: City, recommender: Recommender) -> None:
    st = station(city, "DEMO-C03")
    rec = recommender.recommend("medical", 2, st.lon + 0.001, st.lat, fleet(city), NOW,
                                with_routes=True)  # fmt: skip
    assert rec.unit_ids == ("A-DEMO-C03-1",)
    pick = rec.units[0]
    assert pick.first_responder
    assert pick.within_golden_time
    assert not rec.breach
    assert pick.route is not None
    assert pick.route["type"] == "LineString"
    assert pick.distance_m > 0
    # ETA = road time from the station + 60 s turnout
    g = city.roads
    road = g.times_to(g.snap(st.lon + 0.001, st.lat).node)[g.snap(st.lon, st.lat).node]
    assert pick.eta_s == pytest.approx(road + 60.0)


def test_busy_unit_is_skipped(city: City, recommender: Recommender) -> None:
    f = fleet(city)
    f.apply(UnitUpdate("A-DEMO-C03-1", NOW, UnitStatus.DISPATCHED))
    st = station(city, "DEMO-C03")
    rec = recommender.recommend("medical", 2, st.lon, st.lat, f, NOW)
    assert rec.unit_ids and "A-DEMO-C03-1" not in rec.unit_ids


def test_stale_fix_falls_back_to_station_and_is_flagged(
    city: City, recommender: Recommender
) -> None:
    f = fleet(city)
    far = station(city, "DEMO-HQ2")
    at = NOW - timedelta(minutes=10)  # last fix 10 min ago: stale
    f.put(replace(f.get("A-DEMO-C03-1"), lon=far.lon, lat=far.lat, last_fix_at=at, status_at=at))
    st = station(city, "DEMO-C03")
    rec = recommender.recommend("medical", 2, st.lon, st.lat, f, NOW)
    pick = rec.units[0]
    assert pick.unit_id == "A-DEMO-C03-1"  # taken to be at its station, next door
    assert pick.stale
    assert any("no recent position fix" in r for r in rec.reasons)


def test_plan_larger_than_the_city_widens_and_reports_unfilled(
    city: City, recommender: Recommender
) -> None:
    st = station(city, "DEMO-C03")
    rec = recommender.recommend("fire", 1, st.lon, st.lat, fleet(city), NOW, alarm_level=3)
    assert rec.reasons[0].startswith("plan not filled within 840 s")
    assert dict(rec.unfilled)["engine"] > 0
    assert len({p.unit_id for p in rec.units}) == len(rec.units)


def test_move_up_when_a_district_is_left_uncovered(city: City, recommender: Recommender) -> None:
    f = fleet(city)
    assert recommender.move_ups(f) == []  # everyone home: nothing to fix
    for u in list(f):
        if u.kind == "ambulance" and u.station_id not in ("DEMO-HQ1", "DEMO-C01"):
            f.apply(UnitUpdate(u.unit_id, NOW, UnitStatus.DISPATCHED))
    moves = [m for m in recommender.move_ups(f) if m.kind == "ambulance"]
    assert moves, "south and east are left without an ambulance"
    m = moves[0]
    assert m.from_site in ("DEMO-HQ1", "DEMO-C01")
    assert m.gain_share > m.loss_share
    assert m.district in {d.code for d in city.districts}
