"""A normal day follows Seoul's published volume, mix and daily curve, where people are."""

from __future__ import annotations

import random
from datetime import datetime

import numpy as np
import pytest
from shapely.geometry import Point
from shapely.ops import unary_union

from geo import City
from scenarios.day import NormalDay
from scenarios.pace import load_pace
from scenarios.places import NODE_OFFSET_M
from scenarios.schedule import KST, Schedule

PACE = load_pace()
DAY_START = datetime(2026, 5, 1, 0, 0, tzinfo=KST)


def a_day(city: City, seed: int) -> tuple[NormalDay, Schedule]:
    schedule = Schedule()
    day = NormalDay(city, PACE, random.Random(seed), DAY_START, schedule)
    day.advance(24 * 3600.0)
    return day, schedule


def test_the_published_figures_give_seoul_s_daily_dispatches() -> None:
    # 2020: 477,963 ambulance runs + 143,850 rescue dispatches + 5,088 fires over 366 days
    assert PACE.dispatches_per_day == pytest.approx((477_963 + 143_850 + 5_088) / 366)
    assert PACE.calls_per_day == pytest.approx(1_931_834 / 366)
    assert sum(PACE.hour_shares) == pytest.approx(1.0)
    assert PACE.per_s(4) < PACE.per_s(9) / 2  # the night low, the morning peak


def test_a_simulated_day_matches_the_daily_volume_mix_and_curve(default_city: City) -> None:
    totals, by_band = [], np.zeros(12)
    for seed in range(5):
        day, schedule = a_day(default_city, seed)
        totals.append(day.counts["dispatches"])
        calls = [d for d in schedule.pop_due(24 * 3600.0) if d.topic == "calls"]
        for d in calls:
            by_band[int(d.at_s // 7200) % 12] += 1
        medical = day.counts["dispatch:medical"] / day.counts["dispatches"]
        assert medical == pytest.approx(PACE.per_day["medical"] / PACE.dispatches_per_day, abs=0.05)
        # most 119 calls are not dispatches: they are counted, never sent as incidents
        sent_calls = day.counts["calls"]
        assert day.counts["calls_not_dispatched"] > sent_calls
        assert sent_calls + day.counts["calls_not_dispatched"] == pytest.approx(
            PACE.calls_per_day, rel=0.1
        )
    assert np.mean(totals) == pytest.approx(PACE.dispatches_per_day, rel=0.03)
    shares = by_band / by_band.sum()
    expected = np.array([sum(PACE.hour_shares[2 * b : 2 * b + 2]) for b in range(12)])
    assert np.all(np.abs(shares - expected) < 0.3 * expected)


def test_emergencies_happen_inside_the_city_next_to_its_roads(default_city: City) -> None:
    _, schedule = a_day(default_city, 7)
    boundary = unary_union([d.geometry for d in default_city.districts])
    firsts = [d for d in schedule.pop_due(24 * 3600.0) if d.topic == "calls"]
    lons = np.array([d.value["location"]["lon"] for d in firsts])
    lats = np.array([d.value["location"]["lat"] for d in firsts])
    assert all(boundary.contains(Point(x, y)) for x, y in zip(lons, lats, strict=True))
    _, dist_m = default_city.roads.snap_many(lons, lats)
    # a first call is within NODE_OFFSET_M of a node; other callers within 60 m of the scene
    assert float(np.percentile(dist_m, 50)) <= NODE_OFFSET_M
    assert float(dist_m.max()) <= NODE_OFFSET_M + 60.0 + 1.0


def test_cameras_and_weather_stations_report_at_their_stated_rates(default_city: City) -> None:
    day, _ = a_day(default_city, 3)
    intrusions = PACE.camera_intrusions_per_camera_day * len(default_city.cameras)
    assert day.counts["cctv"] == pytest.approx(intrusions, rel=0.2)  # plus a few at scenes
    readings = PACE.weather_stations * 24 * 3600 / PACE.weather_every_s
    assert readings <= day.counts["sensor"] <= readings * 1.05  # plus the scenes' smoke alarms


def test_the_day_is_the_same_whatever_steps_it_is_advanced_in(default_city: City) -> None:
    start = DAY_START.replace(hour=12)
    once = NormalDay(default_city, PACE, random.Random(5), start, Schedule())
    stepped = NormalDay(default_city, PACE, random.Random(5), start, Schedule())
    steps = [*range(0, 1800, 7), 1800]
    assert once.advance(1800.0) == sum(stepped.advance(float(t)) for t in steps)
    assert once.counts == stepped.counts


def test_every_ten_minutes_of_the_day_hold_the_published_share(default_city: City) -> None:
    for seed in range(3):
        schedule = Schedule()
        day = NormalDay(default_city, PACE, random.Random(seed), DAY_START, schedule)
        for slot in range(144):
            n = day.advance((slot + 1) * 600.0 - 1e-6)
            expected = PACE.expected(slot / 6.0, 600.0)
            assert n == pytest.approx(expected, rel=0.3), (seed, slot, n, expected)
