"""Play a day of the city (and optionally a disaster scenario on top) to the broker.

The scenario clock runs ``settings.sim_speed`` times faster than the wall clock from
``settings.sim_start``; the normal day's emergencies, a scenario's timeline and the crews'
reports are due at scenario times and sent, stamped with the wall clock, when they fall
due. The clock and running counts are published to Redis for the console.
"""

from __future__ import annotations

import logging
import random
import signal
import time
from datetime import UTC, datetime
from types import FrameType
from typing import Any

import orjson

from dispatch import load_er_rules, registry
from geo import City, load_city
from scenarios.clock import CLOCK_TTL_S, ScenarioClock, clock_key, parse_start
from scenarios.crews import CrewSimulator
from scenarios.day import NormalDay
from scenarios.er_board import ErBoard
from scenarios.pace import load_pace
from scenarios.schedule import TIME_FIELDS, Schedule, iso
from stack.settings import Settings
from streams.topics import Topics

__all__ = ["Simulation", "run"]

log = logging.getLogger("goldentime.simulate")

UNIT_HEARTBEAT_S = 60.0
"""Idle units re-report their position at their station this often (wall seconds)."""
HEARTBEAT_STATIONS = 20


class Simulation:
    """The schedule of one simulated run: the normal day, a scenario, and the crews."""

    def __init__(
        self,
        city: City,
        settings: Settings,
        *,
        start: datetime,
        scenario: str | None = None,
        normal_day: bool = True,
    ) -> None:
        self.city = city
        self.schedule = Schedule()
        pace = load_pace()
        self.day = NormalDay(city, pace, random.Random(settings.sim_seed), start, self.schedule)
        self.normal_day = normal_day
        self.board = ErBoard(registry(city.facilities, load_er_rules()), settings.sim_seed + 3)
        self.crews = CrewSimulator(
            city, pace.crews, random.Random(settings.sim_seed + 1), self.schedule, self.board
        )
        self.scenario_name = scenario
        self.scenario_end_s = 0.0
        if scenario:
            from scenarios.disasters import load_scenario

            script = load_scenario(scenario)
            self.scenario_end_s = script.play(self.day)

    def advance(self, now_s: float) -> list[tuple[str, str, dict[str, Any]]]:
        """Every event due by scenario second ``now_s``: (topic, key, value without time)."""
        if self.normal_day:
            self.day.advance(now_s)
        out = []
        for due in self.schedule.pop_due(now_s):
            value: dict[str, Any] | None = due.value
            if due.topic == "unit-status":
                value = self.crews.release(due.value, due.at_s)
            if value is not None:
                out.append((due.topic, due.key, value))
        out += [("er-status", v["hospital_id"], v) for _, v in self.board.reports(now_s)]
        return out

    def on_output(self, base: str, value: dict[str, Any], now_s: float) -> None:
        """An output of the system the crews act on (assignments, incidents, destinations)."""
        if base == "assignments":
            self.crews.on_assignment(value, now_s)
        elif base == "incidents":
            self.crews.on_incident(value)
        elif base == "destinations":
            self.crews.on_destination(value, now_s)

    def counts(self) -> dict[str, int]:
        """Running counts: dispatches by category, calls, sensor and camera events, crews."""
        return {**self.day.counts, **{f"crew:{k}": v for k, v in self.crews.counts.items()}}


def run(
    settings: Settings,
    duration_s: float | None = None,
    *,
    scenario_s: float | None = None,
    scenario: str | None = None,
    normal_day: bool = True,
    clock_name: str | None = None,
) -> int:
    """Play until stopped, ``duration_s`` wall seconds or ``scenario_s`` scenario seconds;
    return the number of events sent. Without ``normal_day`` only the scenario plays (on
    a stack whose own simulator plays the day); ``clock_name`` is the Redis key suffix
    the clock is published under (the main clock when None)."""
    import redis
    from kafka import KafkaConsumer, KafkaProducer, TopicPartition

    city = load_city(settings.data_dir)
    name = scenario or settings.sim_scenario or None
    start_text = settings.sim_start
    if not start_text and name:
        from scenarios.disasters import load_scenario

        start_text = load_scenario(name).start  # the scenario's own hour of the day
    clock = ScenarioClock(parse_start(start_text, datetime.now(UTC)), settings.sim_speed)
    sim = Simulation(city, settings, start=clock.start, scenario=name, normal_day=normal_day)
    published_as = clock_key(settings.namespace) + (f":{clock_name}" if clock_name else "")
    topics = Topics(settings.topic_prefix)
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all", linger_ms=5)
    cache = redis.Redis.from_url(settings.redis_url)
    # No consumer group: kafka-python's group protocol does not get past JoinGroup on Tansu.
    follower = KafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap, group_id=None, enable_auto_commit=False
    )
    followed = {topics.name(b): b for b in ("assignments", "incidents", "destinations")}
    follower.assign(
        [
            TopicPartition(name, p)
            for name in followed
            for p in follower.partitions_for_topic(name) or set()
        ]
    )
    follower.seek_to_end()
    stop = {"now": False}

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop["now"] = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    sent = 0
    started = time.monotonic()
    next_heartbeat = 0.0
    next_publish = 0.0
    rng = random.Random(settings.sim_seed + 2)
    log.info(
        "simulating %s from %s at %g× (%s)",
        city.name,
        iso(clock.start),
        clock.speed,
        f"scenario {name}" if name else "a normal day",
    )

    def send(topic: str, key: str, value: dict[str, Any], wall: datetime) -> None:
        record = {**value, TIME_FIELDS[topic]: iso(wall)}
        producer.send(topics.name(topic), key=key.encode(), value=orjson.dumps(record))

    try:
        first_heartbeat = True
        while not stop["now"]:
            if duration_s is not None and time.monotonic() - started >= duration_s:
                break
            now_s = clock.now_s()
            last = scenario_s is not None and now_s >= scenario_s
            if last and scenario_s is not None:
                now_s = scenario_s
            wall = datetime.now(UTC)
            if time.monotonic() >= next_heartbeat:
                stations = list(city.stations)
                if not first_heartbeat:
                    stations = rng.sample(stations, min(HEARTBEAT_STATIONS, len(stations)))
                first_heartbeat = False
                for value in idle_units(stations, sim.crews.busy):
                    send("unit-status", value["unit_id"], value, wall)
                    sent += 1
                next_heartbeat = time.monotonic() + UNIT_HEARTBEAT_S
            for topic, key, value in sim.advance(now_s):
                send(topic, key, value, wall)
                sent += 1
            producer.flush()
            if time.monotonic() >= next_publish:
                snapshot = orjson.dumps(clock.snapshot(name, sim.counts()))
                cache.set(published_as, snapshot, ex=CLOCK_TTL_S)
                next_publish = time.monotonic() + 1.0
            if last:
                break
            upcoming = sim.schedule.next_at_s()
            wait_s = 0.25 if upcoming is None else min(0.25, clock.wall_s_until(upcoming))
            for tp, records in follower.poll(timeout_ms=max(1, int(wait_s * 1000))).items():
                for record in records:
                    sim.on_output(followed[tp.topic], orjson.loads(record.value), clock.now_s())
    finally:
        producer.flush()
        producer.close()
        follower.close()
        snapshot = orjson.dumps({**clock.snapshot(name, sim.counts()), "stopped": True})
        cache.set(published_as, snapshot, ex=CLOCK_TTL_S * 20)
        cache.close()
    return sent


def idle_units(stations: list[Any], busy: frozenset[str]) -> list[dict[str, Any]]:
    """Position reports of the idle units of some stations, available at their station."""
    return [
        {
            "unit_id": unit.unit_id,
            "kind": unit.kind,
            "station_id": station.id,
            "status": "available",
            "location": {"lon": station.lon, "lat": station.lat},
        }
        for station in stations
        for unit in station.units
        if unit.unit_id not in busy
    ]
