"""Recommender with the calibrated travel model: hour bands, last stretch, turnout by kind,
and an ETA spread whose 90th percentile the golden-time check uses."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dispatch import Candidate, Policy, Recommender, load_run_cards, recommend, seed_fleet
from geo import City, TravelModel, TravelTimes, load_city

NOON_KST = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)
NIGHT_KST = datetime(2026, 11, 21, 18, 0, tzinfo=UTC)  # 03:00 in Seoul
MODEL = TravelModel()


@pytest.fixture(scope="module")
def city() -> City:
    return load_city(None)


@pytest.fixture(scope="module")
def calibrated(city: City) -> Recommender:
    r = Recommender(city, travel=MODEL)
    r.prepare_coverage()
    return r


def test_eta_is_band_road_time_plus_last_stretch_plus_turnout_of_the_kind(
    city: City, calibrated: Recommender
) -> None:
    st = next(s for s in city.stations if s.id == "DEMO-C03")
    lon, lat = st.lon + 0.002, st.lat + 0.0005
    fleet = seed_fleet(city.stations, NOON_KST)
    for kind_type, kind in (("medical", "ambulance"), ("fire", "engine")):
        rec = calibrated.recommend(kind_type, 2, lon, lat, fleet, NOON_KST)
        pick = next(p for p in rec.units if p.kind == kind)
        home = next(s for s in city.stations if s.id == pick.station_id)
        day = TravelTimes.for_city(city, MODEL).graph(NOON_KST)
        snap = day.snap(lon, lat)
        road = day.times_to(snap.node)[day.snap(home.lon, home.lat).node]
        expected = road + MODEL.last_stretch_s(snap.distance_m) + MODEL.turnout_for(kind)
        assert pick.eta_s == pytest.approx(expected)
        assert pick.eta_p90_s == pytest.approx(MODEL.spread(expected)[1])


def test_night_is_faster_than_noon(city: City) -> None:
    closest = Recommender(
        city, policy=Policy(coverage_aware=False, substitute_on_breach=False), travel=MODEL
    )
    st = next(s for s in city.stations if s.id == "DEMO-C03")
    lon, lat = st.lon + 0.01, st.lat + 0.004
    noon = closest.recommend("medical", 2, lon, lat, seed_fleet(city.stations, NOON_KST),
                             NOON_KST)  # fmt: skip
    night = closest.recommend("medical", 2, lon, lat, seed_fleet(city.stations, NIGHT_KST),
                              NIGHT_KST)  # fmt: skip
    assert night.first_eta_s is not None and noon.first_eta_s is not None
    assert night.first_eta_s < noon.first_eta_s


def test_reference_recommender_gives_no_spread(city: City) -> None:
    r = Recommender(city)
    st = city.stations[0]
    rec = r.recommend("medical", 2, st.lon, st.lat, seed_fleet(city.stations, NOON_KST), NOON_KST)
    assert rec.units and all(p.eta_p90_s is None for p in rec.units)
    assert rec.first_eta_p90_s == rec.first_eta_s


def test_golden_time_check_uses_the_p90() -> None:
    card = load_run_cards().card_for("medical", 2)
    golden = card.golden_time_s
    median_in_time = Candidate("A-1", "ambulance", golden - 60.0, eta_p90_s=golden + 30.0)
    rec = recommend(card, [median_in_time])
    assert rec.first_eta_s == golden - 60.0
    assert rec.first_eta_p90_s == golden + 30.0
    assert rec.breach and rec.breach_s == pytest.approx(30.0)
    assert not rec.units[0].within_golden_time
    safe = Candidate("A-1", "ambulance", golden - 60.0, eta_p90_s=golden - 1.0)
    rec = recommend(card, [safe])
    assert not rec.breach and rec.units[0].within_golden_time
    assert rec.units[0].eta_p90_s == golden - 1.0
