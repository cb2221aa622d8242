"""Restart safety and scale-out of the fusion worker on the real broker (issue 4).

Clustered calls, CCTV detections and sensor alarms (so the number of incidents is known),
with duplicate ids and deliberately malformed inputs; a worker is killed or stopped while
it processes them. Afterwards every input must be in exactly one incident's evidence or on
the dead-letter topic, and there must be exactly one incident per cluster.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pytest
import redis
from aiokafka import AIOKafkaConsumer, TopicPartition
from kafka import KafkaProducer

from stack.settings import Settings
from streams.fusion import IncidentState
from streams.topics import Topics
from streams.zone import Zone
from tests.conftest import start_worker
from tests.integration.scenario_events import (
    at,
    call,
    cctv,
    evidence_owners,
    final_states,
    smoke_alarm,
)
from tests.kafka_io import read_until
from tests.streams.samples import T0, call_evidence

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ORIGIN = (126.955, 37.548)  # south-west corner of the built-in city
STEP_LON, STEP_LAT = 0.011, 0.009  # ≈ 970 m × 1 000 m: further apart than any join radius
COLUMNS = 5
KINDS = ("fire", "medical", "traffic", "crowd")
Item = tuple[str, bytes, bytes | dict[str, Any]]  # (topic base, key, value)


@dataclass
class Load:
    """Inputs to send, in order, and what must come out of them."""

    items: list[Item] = field(default_factory=list)
    valid: set[str] = field(default_factory=set)
    malformed: set[str] = field(default_factory=set)
    clusters: int = 0


def clustered_load(tag: str, clusters: int, per_cluster: int) -> Load:
    """``clusters`` emergencies ≈ 1 km apart, each a burst of evidence within 40 m.

    Fire clusters add a smoke CCTV detection and a smoke-detector alarm, crowd clusters a
    density reading; every fifth call is sent twice (a redelivered or retried input), and
    each cluster carries one refused input (outside the service area, or not JSON at all).
    """
    load = Load(clusters=clusters)
    for c in range(clusters):
        lon0 = ORIGIN[0] + (c % COLUMNS) * STEP_LON
        lat0 = ORIGIN[1] + (c // COLUMNS) * STEP_LAT
        kind = KINDS[c % len(KINDS)]
        for i in range(per_cluster):
            lon, lat = lon0 + (i % 4) * 1e-4, lat0 + (i % 3) * 1e-4
            eid = f"{tag}-c{c:02d}-{i:02d}"
            t = at(i * 3 - 600)
            if kind == "fire" and i == 1:
                topic, value = "cctv-events", cctv(eid, lon, lat, "smoke", 0.9, t)
            elif kind == "fire" and i == 2:
                topic, value = "sensor-alarms", smoke_alarm(eid, lon, lat, t)
            elif kind == "crowd" and i == 1:
                topic, value = "cctv-events", cctv(eid, lon, lat, "crowd_density", 0.9, t, 3.0)
            else:
                topic, value = "calls", call(eid, lon, lat, kind, t)
            load.items.append((topic, eid.encode(), value))
            load.valid.add(eid)
            if i % 5 == 4:
                load.items.append((topic, eid.encode(), value))
        bad = f"{tag}-c{c:02d}-bad"
        if c % 2:
            far = call(bad, 129.0, 35.1, kind, at(-600))  # Busan: outside the service area
            load.items.append(("calls", bad.encode(), far))
        else:
            load.items.append(("calls", bad.encode(), f'{{"id": "{bad}", "location": '.encode()))
        load.malformed.add(bad)
    return load


def send(settings: Settings, items: list[Item], rate_per_s: float | None = None) -> None:
    """Produce ``items`` in order (in chunks of 10 paced at ``rate_per_s`` when given)."""
    t = Topics(settings.topic_prefix)
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all")
    try:
        for n, (base, key, value) in enumerate(items, 1):
            raw = value if isinstance(value, bytes) else orjson.dumps(value)
            producer.send(t.name(base), key=key, value=raw)
            if rate_per_s and n % 10 == 0:
                producer.flush()
                time.sleep(10 / rate_per_s)
        producer.flush()
    finally:
        producer.close()


def send_in_background(settings: Settings, items: list[Item], rate: float) -> threading.Thread:
    """Start producing ``items`` at ``rate`` per second from a thread."""
    (thread := threading.Thread(target=send, args=(settings, items, rate), daemon=True)).start()
    return thread


def evidence_ids(records: list[dict[str, Any]]) -> set[str]:
    """Every evidence id any incident state on the topic names."""
    return {e["id"] for r in records for e in r["evidence"]}


def dead_ids(records: list[dict[str, Any]], wanted: set[str]) -> set[str]:
    """The wanted ids that a dead-letter record names (by event id or in its payload)."""
    found = set()
    for rec in records:
        if rec.get("event_id") in wanted:
            found.add(rec["event_id"])
        else:
            found |= {w for w in wanted if f'"{w}"' in (rec.get("payload") or "")}
    return found


async def collect(
    settings: Settings, topic: str, done: Callable[[list[dict[str, Any]]], bool], timeout_s: float
) -> list[dict[str, Any]]:
    """Records of ``topic`` once ``done(records)``, or all there are after ``timeout_s``."""
    try:
        return await read_until(settings.kafka_bootstrap, topic, done, timeout_s)
    except AssertionError:
        raw = await read_raw(settings, topic)
        return [orjson.loads(v.partition(b"|")[2]) for _, _, v in raw if not v.endswith(b"|")]


async def read_raw(settings: Settings, topic: str) -> list[tuple[int, int, bytes]]:
    """Every record of ``topic`` now: (partition, offset, key|value), read to one idle second."""
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, group_id=None)
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(settings.partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        out: list[tuple[int, int, bytes]] = []
        while batch := await consumer.getmany(timeout_ms=1000):
            for records in batch.values():
                out += [
                    (r.partition, r.offset, (r.key or b"") + b"|" + (r.value or b""))
                    for r in records
                ]
        return out
    finally:
        await consumer.stop()


async def where_lost(settings: Settings, lost: set[str]) -> str:
    """Where each lost id still is (topic@partition:offset): the stage that dropped it."""
    app_id = f"goldentime-{settings.topic_prefix or 'main'}"
    zone_topic = Topics(settings.topic_prefix).evidence
    stages = {
        "zone-topic": zone_topic,
        "seen-changelog": f"{app_id}-seen-changelog",
        "incidents-changelog": f"{app_id}-incidents-changelog",
    }
    found: dict[str, list[str]] = {eid: [] for eid in sorted(lost)}
    for stage, topic in stages.items():
        for partition, offset, raw in await read_raw(settings, topic):
            for eid in lost:
                if f'"{eid}"'.encode() in raw or f":{eid}".encode() in raw:
                    found[eid].append(f"{stage}@{partition}:{offset}")
    return f"{found}; zone topic ends at {await ends(settings, zone_topic)}"


async def assert_accounted(settings: Settings, load: Load, timeout_s: float) -> dict[str, Any]:
    """Every input is in exactly one incident or dead-lettered; one incident per cluster."""
    t = Topics(settings.topic_prefix)
    records = await collect(
        settings, t.incidents, lambda r: evidence_ids(r) >= load.valid, timeout_s
    )
    dead = await collect(
        settings, t.deadletter, lambda r: dead_ids(r, load.malformed) >= load.malformed, 10
    )
    lost = load.valid - evidence_ids(records) - dead_ids(dead, load.valid)
    if lost:
        found = await where_lost(settings, lost)
        pytest.fail(f"{len(lost)} inputs lost; internal topics holding them: {found}")
    assert dead_ids(dead, load.malformed) == load.malformed, "a refused input was not dead-lettered"
    states = final_states(records)
    owners = evidence_owners(states)
    doubled = {eid: incs for eid, incs in owners.items() if len(incs) > 1}
    assert not doubled, f"evidence in more than one incident: {doubled}"
    for inc in states.values():
        refs = [e["id"] for e in inc["evidence"]]
        assert len(refs) == len(set(refs)), f"{inc['id']} counts evidence twice"
    assert set(owners) <= load.valid, "incidents hold evidence that was not sent"
    uncounted = load.valid - set(owners)
    if uncounted:  # on the topic once, but no longer in its incident's latest state
        found = await where_lost(settings, uncounted)
        pytest.fail(f"{len(uncounted)} inputs dropped from their incident again: {found}")
    assert len(states) == load.clusters, f"{len(states)} incidents for {load.clusters} clusters"
    assert not dead_ids(dead, load.valid), "a valid input was dead-lettered"
    return states


def beats(settings: Settings) -> dict[str, dict[str, Any]]:
    """The workers' latest heartbeats (worker id → beat)."""
    client = redis.Redis.from_url(settings.redis_url, socket_timeout=2)
    try:
        raw = client.hgetall(f"{settings.namespace}:workers")
    finally:
        client.close()
    return {(k.decode() if isinstance(k, bytes) else k): orjson.loads(v) for k, v in raw.items()}


def wait_beat(
    settings: Settings, check: Callable[[dict[str, dict[str, Any]]], bool], timeout_s: float
) -> float:
    """Seconds until the fresh heartbeats satisfy ``check`` (fails after ``timeout_s``)."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout_s:
        fresh = {w: b for w, b in beats(settings).items() if time.time() - b["at"] < 3.0}
        if check(fresh):
            return time.monotonic() - t0
        time.sleep(0.2)
    pytest.fail(f"heartbeats never satisfied the check in {timeout_s} s: {beats(settings)}")


def test_evidence_counted_is_known_from_the_incident_table_alone() -> None:
    """One table write records a change and what it counted: a recovered zone skips
    replays of evidence its incidents hold, and fuses what they do not (its write was lost)."""
    incidents: dict[str, Any] = {}
    Zone(incidents, {}, lambda lon, lat: None).evidence(call_evidence(1), T0)
    before = dict(incidents)
    Zone(incidents, {}, lambda lon, lat: None).evidence(call_evidence(2, at_s=5), T0)
    incidents.clear()
    incidents.update(before)  # the second write was lost in a crash
    recovered = Zone(incidents, {}, lambda lon, lat: None)
    assert recovered.evidence(call_evidence(1), T0) == []
    recovered.evidence(call_evidence(2, at_s=5), T0)  # redelivered: its offset was uncommitted
    (state,) = incidents.values()
    counted = [ref.id for ref in IncidentState.from_json(state).incident.evidence]
    assert counted == ["call-1", "call-2"]


async def test_killed_worker_restarts_without_loss_or_duplicate_incident(
    settings: Settings, tmp_path: Path
) -> None:
    load = clustered_load("rs", clusters=30, per_cluster=10)
    half = len(load.items) // 2
    first = start_worker(settings, tmp_path)
    producer = send_in_background(settings, load.items[:half], rate=150)
    await grows(settings, Topics(settings.topic_prefix).incidents, 4)
    first.kill()  # SIGKILL while the first half is still arriving
    assert producer.is_alive(), "the worker was not killed mid-stream"
    producer.join(30)
    send(settings, load.items[half:])
    second = start_worker(settings, tmp_path)
    try:
        await assert_accounted(settings, load, timeout_s=90)
    finally:
        second.stop()


async def ends(settings: Settings, topic: str) -> dict[int, int]:
    """End offset of each partition of ``topic``."""
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, group_id=None)
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(settings.partitions)]
        return {tp.partition: int(end) for tp, end in (await consumer.end_offsets(tps)).items()}
    finally:
        await consumer.stop()


async def zone_partition(settings: Settings, timeout_s: float = 30) -> int:
    """The partition of the zone topic that carries the city's fusion sequence."""
    topic = Topics(settings.topic_prefix).evidence
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        used = [p for p, end in (await ends(settings, topic)).items() if end > 0]
        if used:
            assert len(used) == 1, f"fusion is spread over partitions {used}"
            return used[0]
        await asyncio.sleep(0.1)
    raise AssertionError("nothing reached the zone topic")


async def grows(settings: Settings, topic: str, beyond: int, partition: int | None = None) -> None:
    """Return as soon as ``topic`` (or one partition of it) holds more than ``beyond`` records."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        now = await ends(settings, topic)
        if (now[partition] if partition is not None else sum(now.values())) > beyond:
            return
        await asyncio.sleep(0.005)
    raise AssertionError(f"{topic} did not grow beyond {beyond} records in 30 s")


def owns(log: str, topic: str, partition: int) -> bool:
    """True when a worker's last assignment in the fusion group (from its log) includes
    ``topic[partition]``. (The intake's group and the follow-up stage's app log their
    assignments alike; the fusion app's is the one with the incidents table's changelog.)"""
    assignments = log.split("Setting newly assigned partitions")[1:]
    faust = [a for a in assignments if "-incidents-changelog " in a.split("\n[", 1)[0]]
    last = faust[-1].split("\n[", 1)[0] if faust else ""
    for line in last.splitlines():
        cells = [c.strip() for c in line.split("|")]
        if len(cells) > 2 and cells[1] == topic:
            spec = cells[2].strip("{}")
            ranges = [part.split("-") for part in spec.split(",")]
            return any(int(r[0]) <= partition <= int(r[-1]) for r in ranges)
    return False


@pytest.mark.parametrize("how", ["sigterm", "sigkill"])
async def test_two_workers_split_partitions_and_one_takes_over(
    settings: Settings, tmp_path: Path, how: str
) -> None:
    load = clustered_load(f"so{how[3:]}", clusters=20, per_cluster=10)
    third = len(load.items) // 3
    w1 = start_worker(settings, tmp_path / "w1")
    solo = beats(settings)[settings.worker_id]["assigned"]
    s2 = settings.replace(worker_id="w2", worker_state_dir=tmp_path / "w2-state")
    t_join = time.monotonic()
    w2 = start_worker(s2, tmp_path / "w2")
    workers = [w1, w2]
    try:
        wait_beat(
            settings,
            lambda b: len(b) == 2 and all(0 < x["assigned"] < solo for x in b.values()),
            60,
        )
        split_s = time.monotonic() - t_join
        split = {w: b["assigned"] for w, b in beats(settings).items()}
        send(settings, load.items[:third])
        zone = await zone_partition(settings)
        evidence_topic = Topics(settings.topic_prefix).evidence
        holders = [w for w in workers if owns(w.log(), evidence_topic, zone)]
        assert len(holders) == 1, f"{len(holders)} workers own the fusion partition"
        victim, survivor = holders[0], next(w for w in workers if w is not holders[0])
        # A burst, and the signal as soon as its first batch reaches the fusion owner: it
        # stops with fetched, unprocessed work while the rest keeps arriving.
        before = (await ends(settings, evidence_topic))[zone]
        send(settings, load.items[third : 2 * third])
        await grows(settings, evidence_topic, before, zone)
        t_stop = time.monotonic()
        if how == "sigterm":
            victim.proc.terminate()
        else:
            victim.proc.kill()
        producer = send_in_background(settings, load.items[2 * third :], rate=60)
        victim.proc.wait(30)
        exit_s = time.monotonic() - t_stop
        alive = survivor.settings.worker_id
        wait_beat(settings, lambda b: b.get(alive, {}).get("assigned") == solo, 60)
        takeover_s = time.monotonic() - t_stop
        producer.join(60)
        t_rest = time.monotonic()
        await assert_accounted(settings, load, timeout_s=60)
        drained_s = time.monotonic() - t_rest
        print(
            f"\nassigned: solo={solo} split={split} {split_s:.1f} s after starting w2; {how} "
            f"of the fusion owner {victim.settings.worker_id}: exited after {exit_s:.1f} s, "
            f"{alive} owned all {takeover_s:.1f} s after the signal, all accounted "
            f"{drained_s:.1f} s after the last input"
        )
        assert survivor.alive(), "the surviving worker died:\n" + survivor.log()[-2000:]
    finally:
        for w in workers:
            if w.alive():
                w.stop()
