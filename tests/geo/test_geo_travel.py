"""The calibrated travel model: hour bands, road classes, last stretch, turnout, exact tables."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
import pytest

from geo import City
from geo.travel import SEOUL_BANDS, HourBand, TravelModel, TravelTimes

MODEL = TravelModel()


def test_every_hour_falls_in_exactly_one_band() -> None:
    for hour in range(24):
        assert sum(b.holds(hour) for b in SEOUL_BANDS) == 1


@pytest.mark.parametrize(
    ("hour", "band", "factor"),
    [
        (3, "night", 1.30),
        (23, "night", 1.30),
        (7, "am_peak", 22.5 / 21.7),  # 서울시 2025: 07–09 h 22.5 km/h, weekday mean 21.7
        (12, "day", 1.0),
        (18, "pm_peak", 19.8 / 21.7),  # 서울시 2025: 18–20 h 19.8 km/h
        (21, "evening", 1.15),
    ],
)
def test_hour_band_factors(hour: int, band: str, factor: float) -> None:
    got = MODEL.band_at(hour)
    assert got.name == band
    assert got.factor == pytest.approx(factor)


def test_band_of_reads_seoul_local_time() -> None:
    # 23:30 UTC is 08:30 in Seoul: the morning peak, not the night
    assert MODEL.band_of(datetime(2026, 12, 6, 23, 30, tzinfo=UTC)).name == "am_peak"


def test_evening_peak_is_slowest_and_night_fastest_on_an_arterial() -> None:
    kph = {b.name: float(MODEL.link_kph(np.array([60.0]), b)[0]) for b in SEOUL_BANDS}
    assert min(kph, key=lambda k: kph[k]) == "pm_peak"
    assert max(kph, key=lambda k: kph[k]) == "night"


def test_link_speed_is_traffic_times_advantage_capped_at_the_legal_limit() -> None:
    day = MODEL.band_at(12)
    kph = MODEL.link_kph(np.array([60.0, 30.0, 80.0, 100.0]), day)
    assert kph[0] == pytest.approx(25.0 * MODEL.advantage)  # 주간선도로 2015: 25.0 km/h
    assert kph[1] == pytest.approx(min(30.0, 23.2 * MODEL.advantage))  # capped by 5030
    assert kph[2] == pytest.approx(min(80.0, 56.6 * MODEL.advantage))  # 도시고속도로 56.6
    assert kph[3] == pytest.approx(56.6 * MODEL.advantage)


def test_junction_delay_on_streets_not_on_expressways() -> None:
    band = HourBand("flat", 0, 24, 1.0)
    model = TravelModel(bands=(band,), junction_delay_s=5.0)
    no_delay = TravelModel(bands=(band,), junction_delay_s=0.0)
    legal = np.array([60.0, 100.0])
    length = np.array([200.0, 200.0])
    diff = model.link_times_s(length, legal, band) - no_delay.link_times_s(length, legal, band)
    assert diff.tolist() == pytest.approx([5.0, 0.0])


def test_last_stretch_runs_at_street_speed_along_a_detour() -> None:
    assert MODEL.last_stretch_s(0.0) == 0.0
    assert MODEL.last_stretch_s(100.0) == pytest.approx(100.0 * 1.4 / (15.0 / 3.6))
    assert MODEL.last_stretch_s(-5.0) == 0.0
    slower = TravelModel(street_kph=10.0)
    assert slower.last_stretch_s(100.0) > MODEL.last_stretch_s(100.0)


@pytest.mark.parametrize(
    ("kind", "turnout_s"),
    [("ambulance", 60.0), ("engine", 80.0), ("ladder", 80.0), ("rescue", 80.0), ("x", 80.0)],
)
def test_turnout_by_kind_follows_nfpa_1710(kind: str, turnout_s: float) -> None:
    assert MODEL.turnout_for(kind) == turnout_s


def test_spread_p90_above_p50_and_infinite_stays_infinite() -> None:
    p50, p90 = MODEL.spread(180.0)
    assert p50 == 180.0
    assert p90 == pytest.approx(180.0 * math.exp(1.2815515655446004 * MODEL.spread_sigma))
    assert MODEL.spread(math.inf) == (math.inf, math.inf)


def test_band_tables_are_exact_and_slower_in_the_evening_peak(builtin: City) -> None:
    times = TravelTimes.for_city(builtin)
    assert TravelTimes.for_city(builtin) is times  # shared per city and model
    anchors = np.unique(builtin.station_nodes)
    night = times.tables["night"]
    peak = times.tables["pm_peak"]
    assert night is not None and peak is not None
    for target in range(0, builtin.roads.node_count, 211):
        for name in ("night", "pm_peak"):
            table = times.tables[name]
            assert table is not None
            searched = times.graphs[name].times_to(target)[anchors]
            assert np.array_equal(table.times_to(target, anchors), searched)
        assert np.all(peak.times_to(target, anchors) >= night.times_to(target, anchors))


def test_band_graphs_keep_the_network(builtin: City) -> None:
    times = TravelTimes.for_city(builtin)
    src, dst, _, length = builtin.roads.edge_arrays()
    for g in times.graphs.values():
        s2, d2, t2, l2 = g.edge_arrays()
        assert np.array_equal(src, s2) and np.array_equal(dst, d2)
        assert np.array_equal(length, l2)
        assert np.all(t2 > 0)


def test_arterials_by_day_are_slower_than_the_reference(builtin: City) -> None:
    times = TravelTimes.for_city(builtin)
    day = times.graph(datetime(2026, 12, 7, 3, tzinfo=UTC))  # 12:00 in Seoul
    _, _, ref, length = builtin.roads.edge_arrays()
    _, _, cal, _ = day.edge_arrays()
    arterial = np.isclose(length / ref * 3.6, 50.0 * 0.8)  # 50 km/h links of the grid
    assert arterial.any()
    assert np.all(cal[arterial] > ref[arterial])
