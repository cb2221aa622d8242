"""Shared by the system tests: a city-wide load, its production, and its accounting.

Every input has an id; after a fault, :func:`account` reads the output topics until each
valid id is named by an incident and each malformed one has a dead-letter record, and
:func:`assert_clean` checks nothing was lost and no effect was produced twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from kafka import KafkaProducer

from access import Role, TokenAuthority
from bench.e2e import SurgeObserver
from bench.fusion import HISTORY_H, Mix, Observer, city_mix, until, watch
from geo import load_city
from scenarios.generator import KST, CityTraffic
from stack.embedded import (
    EmbeddedBroker,
    EmbeddedCache,
    local_settings,
    spawn,
    wait_for_port,
)
from stack.settings import Settings
from streams.topics import Topics, ensure_topics
from tests.conftest import Process, start_console, start_worker

__all__ = [
    "PinnedBroker",
    "PinnedCache",
    "account",
    "api",
    "assert_clean",
    "deployment",
    "history_mix",
    "ids_of",
    "poll",
    "read_all",
    "recent_mix",
    "send",
    "send_in_background",
    "token",
]


def history_mix(n: int, seed: int) -> Mix:
    """About ``n`` inputs (duplicates, malformed ones) spread over the last 40 hours."""
    rng = random.Random(seed)
    span = timedelta(hours=HISTORY_H)
    traffic = CityTraffic(load_city(None), rng, 0.0)
    return city_mix(traffic, rng, n, datetime.now(KST) - span, span)


def recent_mix(n: int, seed: int) -> Mix:
    """About ``n`` inputs of emergencies happening right now."""
    rng = random.Random(seed)
    traffic = CityTraffic(load_city(None), rng, 0.0)
    return city_mix(traffic, rng, n, datetime.now(KST) - timedelta(minutes=1), timedelta(0))


def send(settings: Settings, mix: Mix, rate_per_s: float | None = None) -> None:
    """Produce every input of ``mix`` in order (paced in chunks of 20 when a rate is given)."""
    topics = Topics(settings.topic_prefix)
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all")
    try:
        for n, (base, key, value, _) in enumerate(mix.inputs, 1):
            producer.send(topics.name(base), key=key, value=value)
            if rate_per_s and n % 20 == 0:
                producer.flush()
                time.sleep(20 / rate_per_s)
        producer.flush()
    finally:
        producer.close()


def send_in_background(settings: Settings, mix: Mix, rate_per_s: float) -> threading.Thread:
    """Start producing ``mix`` at ``rate_per_s`` from a thread."""
    thread = threading.Thread(target=send, args=(settings, mix, rate_per_s), daemon=True)
    thread.start()
    return thread


async def account(settings: Settings, mix: Mix, timeout_s: float) -> SurgeObserver:
    """Read incidents, dead letters, assignments and alerts until every input is accounted."""
    t = Topics(settings.topic_prefix)
    obs, stop = SurgeObserver(), asyncio.Event()
    watched = [t.incidents, t.deadletter, t.assignments, t.alerts]
    task = asyncio.create_task(watch(settings.kafka_bootstrap, watched, obs, stop))
    try:
        await until(lambda: not obs.missing(mix), timeout_s, 0.1)
        await asyncio.sleep(1.5)  # a late duplicate effect would show up now
    finally:
        stop.set()
        await task
    return obs


def assert_clean(obs: SurgeObserver, mix: Mix) -> None:
    """Nothing lost; no evidence, assignment decision or alert draft produced twice."""
    missing = obs.missing(mix)
    assert not missing, f"{len(missing)} inputs lost, e.g. {sorted(missing)[:5]}"
    assert mix.malformed <= obs.dead, "a malformed input was not dead-lettered"
    assert Observer.duplicates(obs) == 0, "evidence counted by two incidents or twice by one"
    assert obs.effects.duplicate_assignments() == 0, (
        f"an order was issued twice: {obs.effects.duplicate_assignments()} extra"
    )
    assert obs.effects.duplicate_alerts() == 0, (
        f"an alert was drafted twice for one incident: {obs.effects.repeated_alerts()}"
    )


def token(
    settings: Settings,
    role: Role,
    unit_id: str | None = None,
    ttl_s: float = 600,
    subject: str | None = None,
) -> str:
    """A token of ``role`` signed with this deployment's secret."""
    authority = TokenAuthority(settings.auth_secret.encode())
    return authority.mint(role, subject or f"test-{role.value}", unit_id=unit_id, ttl_s=ttl_s)


def api(
    settings: Settings, role: Role = Role.DISPATCHER, subject: str | None = None
) -> httpx.AsyncClient:
    """An HTTP client of the console with a bearer token of ``role``."""
    headers = {"Authorization": f"Bearer {token(settings, role, subject=subject)}"}
    return httpx.AsyncClient(base_url=settings.console_url, headers=headers, timeout=30)


async def poll(check: Callable[[], Awaitable[bool]], timeout_s: float) -> bool:
    """Await ``check()`` every 0.2 s until it is true; False after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if await check():
                return True
        await asyncio.sleep(0.2)
    return False


class PinnedBroker(EmbeddedBroker):
    """An embedded broker that (re)starts on one fixed port, so clients can reconnect."""

    def __init__(self, log_dir: Path, port: int) -> None:
        super().__init__(log_dir)
        self.pinned = port

    def start(self, timeout_s: float = 30.0) -> PinnedBroker:
        """Start on the pinned port and wait until it listens."""
        self.port = self.pinned
        self.proc = spawn(self._args(), self.log_path)
        wait_for_port(self.host, self.port, timeout_s, self.proc)
        return self


class PinnedCache(EmbeddedCache):
    """An embedded cache that (re)starts on one fixed port."""

    def __init__(self, log_dir: Path, port: int) -> None:
        super().__init__(log_dir)
        self.pinned = port

    def start(self, timeout_s: float = 30.0) -> PinnedCache:
        """Start on the pinned port and wait until it listens."""
        self.port = self.pinned
        self.proc = spawn(self._args(), self.log_path)
        wait_for_port(self.host, self.port, timeout_s, self.proc)
        return self


def ids_of(incidents: list[dict[str, Any]]) -> set[str]:
    """The ids of a list of incidents."""
    return {str(i["id"]) for i in incidents}


@contextlib.contextmanager
def deployment(
    broker: EmbeddedBroker, cache: EmbeddedCache, log_dir: Path, *, console: bool = True
) -> Iterator[tuple[Settings, Process, Process | None]]:
    """A fresh deployment (own topics) with a worker and, if asked, a console."""
    prefix = f"s{uuid.uuid4().hex[:10]}-"
    settings = local_settings(broker.bootstrap, cache.url, log_dir, topic_prefix=prefix)
    ensure_topics(settings.kafka_bootstrap, Topics(prefix), settings.partitions)
    worker = start_worker(settings, log_dir)
    try:
        front = start_console(settings, log_dir) if console else None
        try:
            yield settings, worker, front
        finally:
            if front is not None:
                front.stop()
    finally:
        worker.stop()


async def read_all(settings: Settings, topic: str) -> list[dict[str, Any]]:
    """Every JSON record ``topic`` holds now (read until one idle second)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, group_id=None)
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(settings.partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        values: list[dict[str, Any]] = []
        while batch := await consumer.getmany(timeout_ms=1000):
            for records in batch.values():
                values += [orjson.loads(r.value) for r in records if r.value is not None]
        return values
    finally:
        await consumer.stop()
