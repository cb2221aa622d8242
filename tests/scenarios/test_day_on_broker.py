"""Ten minutes of a Seoul day, played by ``goldentime simulate`` to a real worker."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import orjson
import pytest
import redis
from shapely.geometry import Point
from shapely.ops import unary_union

from geo import City
from scenarios.clock import clock_key, parse_start
from scenarios.day import NormalDay
from scenarios.pace import load_pace
from scenarios.schedule import Schedule
from stack.settings import Settings
from streams.topics import Topics
from tests.conftest import Process
from tests.kafka_io import read_until
from tests.scenarios.conftest import simulate

pytestmark = [pytest.mark.integration, pytest.mark.slow]

START = "12:00"
MINUTES = 10
SPEED = 30.0  # ten scenario minutes in twenty seconds


async def test_ten_minutes_of_a_seoul_day_open_seoul_s_share_of_incidents(
    city_settings: Settings, city_worker: Process, default_city: City
) -> None:
    pace = load_pace()
    published = pace.expected(12.0, MINUTES * 60.0)  # the daily volume scaled to 12:00–12:10
    assert published == pytest.approx(pace.dispatches_per_day / 144, rel=0.3)
    # the same day, replayed in-process with the same seed: how many emergencies it holds
    replica = NormalDay(
        default_city,
        pace,
        random.Random(city_settings.sim_seed),
        parse_start(START, datetime.now(UTC)),
        Schedule(),
    )
    scheduled = replica.advance(MINUTES * 60.0)

    out = simulate(
        city_settings, "--speed", str(SPEED), "--start", START, "--minutes", str(MINUTES)
    )
    assert "sent" in out
    topic = Topics(city_settings.topic_prefix).incidents

    def distinct(records: list[dict[str, object]]) -> dict[str, dict[str, object]]:
        return {str(r["id"]): r for r in records}

    records = await read_until(
        city_settings.kafka_bootstrap, topic, lambda r: len(distinct(r)) >= scheduled, 60
    )
    incidents = distinct(records)
    assert len(incidents) == pytest.approx(published, rel=0.3), (len(incidents), published)
    boundary = unary_union([d.geometry for d in default_city.districts])
    for inc in incidents.values():
        loc = inc["location"]
        assert isinstance(loc, dict)
        assert boundary.contains(Point(loc["lon"], loc["lat"])), inc

    cache = redis.Redis.from_url(city_settings.redis_url)
    try:
        raw = cache.get(clock_key(city_settings.namespace))
    finally:
        cache.close()
    assert raw is not None
    clock = orjson.loads(raw)
    assert clock["speed"] == SPEED
    assert clock["clock"][11:16] == f"12:{MINUTES:02d}"
    assert clock["counts"]["dispatches"] == scheduled
