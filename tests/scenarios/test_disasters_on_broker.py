"""Every library scenario, played to a real worker, opens the incidents its file expects."""

from __future__ import annotations

import math
import subprocess
import sys
import time
from collections import Counter
from typing import Any

import orjson
import pytest
import redis

from scenarios.clock import clock_key
from scenarios.disasters import Expectation, Scenario, load_scenario, scenario_names
from stack.settings import Settings
from streams.topics import Topics
from tests.conftest import REPO, Process
from tests.kafka_io import read_until
from tests.scenarios.conftest import goldentime, simulate

pytestmark = [pytest.mark.integration, pytest.mark.slow]

WALL_S = 12.0
"""Each scenario is played in about this many wall seconds (its clock sped up to fit)."""
SETTLE_S = 3.0
"""Incidents are counted once no new one has appeared for this long."""


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    dx = (a[0] - b[0]) * 111_320.0 * math.cos(math.radians(a[1]))
    return math.hypot(dx, (a[1] - b[1]) * 111_320.0)


def matching(incidents: dict[str, dict[str, Any]], e: Expectation) -> int:
    """How many incidents meet an expectation's type and place."""
    n = 0
    for inc in incidents.values():
        loc = inc["location"]
        n += e.counts(inc["type"], metres((loc["lon"], loc["lat"]), (e.lon, e.lat)))
    return n


async def incidents_after(settings: Settings, scenario: Scenario) -> dict[str, dict[str, Any]]:
    """The incidents on the topic once every expectation is met and none has come for a while."""
    seen = {"n": 0, "at": time.monotonic()}

    def settled(records: list[dict[str, Any]]) -> bool:
        incidents = {r["id"]: r for r in records}
        if len(incidents) != seen["n"]:
            seen.update(n=len(incidents), at=time.monotonic())
        met = all(matching(incidents, e) >= e.at_least for e in scenario.expect)
        return met and time.monotonic() - seen["at"] > SETTLE_S

    topic = Topics(settings.topic_prefix).incidents
    last: list[dict[str, Any]] = []

    def remember(records: list[dict[str, Any]]) -> bool:
        last[:] = records
        return settled(records)

    try:
        records = await read_until(settings.kafka_bootstrap, topic, remember, 90)
    except AssertionError:
        incidents = {r["id"]: r for r in last}
        types = Counter(str(i["type"]) for i in incidents.values())
        found = [(e, matching(incidents, e)) for e in scenario.expect]
        raise AssertionError(f"{scenario.name}: by type {dict(types)}; expected {found}") from None
    return {r["id"]: r for r in records}


def check(incidents: dict[str, dict[str, Any]], scenario: Scenario) -> None:
    assert scenario.expect, f"{scenario.path} states no expected incidents"
    for e in scenario.expect:
        n = matching(incidents, e)
        assert n >= e.at_least, (e, n)
        if e.at_most is not None:
            assert n <= e.at_most, (e, n)


@pytest.mark.parametrize("name", [n for n in scenario_names() if n != "tower-block-fire"])
async def test_a_scenario_played_by_simulate_opens_its_expected_incidents(
    name: str, city_settings: Settings, city_worker: Process
) -> None:
    scenario = load_scenario(name)
    speed = scenario.duration_s / WALL_S
    minutes = scenario.duration_s / 60.0
    simulate(
        city_settings,
        *("--scenario", name, "--no-day", "--speed", f"{speed:g}", "--minutes", f"{minutes:g}"),
    )
    check(await incidents_after(city_settings, scenario), scenario)


async def test_a_scenario_played_against_a_running_stack_opens_its_expected_incidents(
    city_settings: Settings, city_worker: Process
) -> None:
    scenario = load_scenario("tower-block-fire")
    speed = scenario.duration_s / WALL_S
    out = goldentime(city_settings, "scenario", scenario.name, "--speed", f"{speed:g}")
    assert f"scenario {scenario.name}: sent" in out
    check(await incidents_after(city_settings, scenario), scenario)


def test_every_scenario_is_listed_with_a_one_line_description() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "stack.cli", "scenario", "--list"],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    ).stdout.splitlines()
    names = scenario_names()
    assert len(names) >= 4
    assert {"itaewon-crowd-crush", "tower-block-fire", "typhoon-night", "earthquake-surge"} <= set(
        names
    )
    assert [line.split()[0] for line in out] == names
    assert all(len(line.split(maxsplit=1)[1]) > 20 for line in out)


def test_an_unknown_scenario_is_refused_before_anything_starts() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "stack.cli", "up", "--scenario", "no-such-thing"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )
    assert done.returncode != 0
    assert "no scenario 'no-such-thing'" in done.stderr


def test_a_scenario_against_a_running_stack_follows_the_running_day_s_clock(
    settings: Settings,
) -> None:
    running = {"clock": "2026-10-29T21:40:00.000+09:00", "speed": 600.0, "scenario": None}
    cache = redis.Redis.from_url(settings.redis_url)
    try:
        cache.set(clock_key(settings.namespace), orjson.dumps(running), ex=60)
        out = goldentime(settings, "scenario", "tower-block-fire")
        raw = cache.get(clock_key(settings.namespace) + ":tower-block-fire")
    finally:
        cache.close()
    assert "scenario tower-block-fire: sent" in out
    assert raw is not None
    played = orjson.loads(raw)
    assert played["speed"] == 600.0  # the running day's speed: an hour in six seconds
    assert played["started_at"].startswith("2026-10-29T21:40")  # from the running clock
    assert played["scenario"] == "tower-block-fire" and played["stopped"]
    assert played["counts"]["calls"] == 45 + 6  # every caller the file scripts was sent
