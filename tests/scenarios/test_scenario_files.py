"""Scenario files and the scenario clock, without a broker."""

from __future__ import annotations

import random
import shutil
from datetime import datetime
from pathlib import Path

import pytest

from geo import City
from scenarios.clock import ScenarioClock, parse_start
from scenarios.day import NormalDay
from scenarios.disasters import LIBRARY, ScenarioError, load_scenario, scenario_names
from scenarios.pace import load_pace
from scenarios.schedule import KST, Schedule


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_scenario_clock_runs_speed_times_faster_than_the_wall() -> None:
    wall = FakeMonotonic()
    clock = ScenarioClock(datetime(2026, 5, 1, 12, 0, tzinfo=KST), 60.0, wall)
    wall.now += 10.0
    assert clock.now_s() == pytest.approx(600.0)
    assert clock.at(clock.now_s()).strftime("%H:%M") == "12:10"
    assert clock.wall_s_until(1200.0) == pytest.approx(10.0)
    snap = clock.snapshot("typhoon-night", {"dispatches": 3})
    assert snap["speed"] == 60.0 and snap["clock"].startswith("2026-05-01T12:10")
    with pytest.raises(ValueError):
        ScenarioClock(datetime(2026, 5, 1, tzinfo=KST), 0.0)


def test_a_start_is_now_a_time_of_day_or_an_iso_time() -> None:
    now = datetime(2026, 5, 1, 3, 0, tzinfo=KST)
    assert parse_start("", now) == now
    assert parse_start("22:15", now).strftime("%H:%M") == "22:15"
    assert parse_start("2026-10-29T18:00:00+09:00", now).hour == 18


def test_every_library_scenario_schedules_its_timeline_in_order(default_city: City) -> None:
    for name in scenario_names():
        scenario = load_scenario(name)
        schedule = Schedule()
        day = NormalDay(default_city, load_pace(), random.Random(1), datetime.now(KST), schedule)
        end_s = scenario.play(day)
        assert end_s == scenario.duration_s
        due = schedule.pop_due(end_s)
        assert due, name
        assert all(0.0 <= d.at_s <= end_s for d in due), name
        assert scenario.expect, f"{name} states no expected incidents"


def test_the_crowd_crush_warnings_come_hours_before_the_crush() -> None:
    sc = load_scenario("itaewon-crowd-crush")
    crowd_calls = [e for e in sc.events if e["type"] == "call" and e["category"] == "crowd"]
    first, crush = sc.offset_s(crowd_calls[0]), max(sc.offset_s(e) for e in crowd_calls)
    assert (crush - first) / 3600.0 == pytest.approx(3 + 41 / 60, abs=0.01)  # 18:34 → 22:15


def test_a_copied_and_edited_file_plays_by_its_path(tmp_path: Path) -> None:
    mine = tmp_path / "my-fire.toml"
    shutil.copyfile(LIBRARY / "tower-block-fire.toml", mine)
    mine.write_text(mine.read_text().replace('name = "tower-block-fire"', 'name = "my-fire"'))
    assert load_scenario(str(mine)).name == "my-fire"


def test_a_broken_file_is_refused_with_its_path(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "bad"\ndescription = "x"\nduration_min = 1\n')
    with pytest.raises(ScenarioError, match=r"bad\.toml"):
        load_scenario(str(bad))
    with pytest.raises(ScenarioError, match="no scenario"):
        load_scenario("no-such-scenario")
