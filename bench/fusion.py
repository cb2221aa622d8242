"""Benchmark: a city-wide mix of calls, CCTV and sensors through the real broker and worker.

    python -m bench.fusion [--quick] [--mix clustered|scattered] [--events N] [--latency-s S]
                           [--data-dir DIR | --builtin]

Starts its own embedded broker (Tansu) and cache (Valkey) and one real worker process
(``python -m stack.cli worker``), then measures, in one run:

* ``passthrough_events_per_s``: the baseline, a bare aiokafka consume→produce loop in its own
  process on the same broker, over the same payloads (first produced → last forwarded seen).
* ``events_per_s``: all inputs (duplicates and refused ones included) produced as fast as
  possible, from the first produced to the last effect observed (every valid id in an
  incident on ``incidents``, every refused input on ``deadletter``).
* ``ingest_to_incident_p50_ms`` / ``_p99_ms``: at a paced offered load (1,000 events/s) on an
  idle worker, from producing an event to the first incident state naming it on ``incidents``
  (``idle_…``: a few events at 5/s first, no queueing).
* ``ingest_to_recommendation_p50_ms`` / ``_p99_ms``: in the paced run, from producing an
  incident's first input to its first assignment record (the dispatch stage's
  recommendation, or the order for priority 1); ``incidents_without_recommendation``: those
  still without one 5 s after the paced run was seen.
* ``follow_up_elapsed_s``: from the first produced input of the throughput run to the last
  overlay the follow-up stage published (overlays and alert drafts are made beside fusion,
  in the worker's child process, ``streams.follow``); ``incidents_without_overlay``: those
  still without one at the end (their overlay failed, or the stage had not caught up).
* ``unaccounted``: inputs with neither an incident evidence nor a dead-letter record at the
  end; ``lost`` is that figure when the worker drained everything within the drain time
  (``drained``), else null (a backlog is not a loss);
  ``duplicate_incidents``: evidence ids counted by more than one incident or twice by one.

``--mix``: ``clustered`` (default) is a disaster's stream: emergencies draw follow-up
reports (more callers, heavy-tailed; cameras re-detecting every 10 s; sensors re-alarming),
about five inputs per emergency (``events_per_emergency``). ``scattered`` reports each
emergency 1.5 times on average, about one new incident (a recommendation, an overlay, an
alert check) per input: the worker's worst case.

Crews come back: every unit assigned reports en route, on scene and available again within
a second (``crews``, ``crew_reports``), so recommendations stay real all run long.

Undrained within the drain time (10 s with ``--quick``), ``events_per_s`` counts the ids
accounted for so far. Prints ONE JSON object. Events come from ``CityTraffic`` (clustered
callers, CCTV, smoke alarms per emergency) plus re-sent duplicates and malformed inputs.
"""

from __future__ import annotations

import argparse
import asyncio
import heapq
import itertools
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import psutil
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from geo import load_city
from scenarios.generator import KST, CityTraffic
from stack.embedded import EmbeddedBroker, EmbeddedCache, local_settings, spawn, stop_process
from stack.settings import DEFAULT_SEOUL_DATA, REPO_ROOT
from stack.supervisor import child_env, wait_until, worker_ready
from streams import records
from streams.topics import Topics, ensure_topics
from streams.zones import ZoneMap

DUPLICATE_SHARE = 0.03
MALFORMED_SHARE = 0.005
FOLLOW_UP_SPREAD = 400
"""Follow-up reports arrive among the next this many inputs of the city (clustered mix)."""
RECENT = timedelta(minutes=25)
"""The paced and idle emergencies began this long ago, so that their follow-up reports
(up to 20 min later) are not in the future (intake refuses inputs > 5 min ahead)."""
HISTORY_H = 40.0
"""Generated emergencies are spread over this many hours before now (intake refuses > 2 days)."""
Input = tuple[str, bytes, bytes, str]  # (topic base, key, value, id)


@dataclass
class Mix:
    """Inputs to send in order, with the ids that must come out of them."""

    inputs: list[Input] = field(default_factory=list)
    valid: set[str] = field(default_factory=set)
    malformed: set[str] = field(default_factory=set)
    emergencies: list[set[str]] = field(default_factory=list)


def city_mix(
    traffic: CityTraffic,
    rng: random.Random,
    n: int,
    start: datetime,
    span: timedelta,
    clustered: bool = False,
) -> Mix:
    """About ``n`` inputs from emergencies spread over ``span`` after ``start``.

    ``clustered``: a disaster's stream, where each emergency also draws follow-up reports
    (``CityTraffic.follow_ups``: more callers, repeated camera detections and sensor
    alarms), interleaved with other emergencies' inputs over the next few hundred inputs.
    Otherwise every emergency is reported once or a few times (1.5 inputs on average),
    the worst case for the worker: about one new incident per input.
    """
    mix = Mix()
    pending: list[tuple[int, int, Input]] = []
    seq = itertools.count()
    while len(mix.inputs) < n:
        at = start + span * (len(mix.inputs) / n)
        if rng.random() < MALFORMED_SHARE:
            bad = f"bad-{rng.getrandbits(48):012x}"
            raw = f'{{"id": "{bad}", "location": "nowhere"'.encode()
            mix.inputs.append(("calls", bad.encode(), raw, bad))
            mix.malformed.add(bad)
            continue
        ids = set()
        first = traffic.incident(at)
        for ev in [*first, *(traffic.follow_ups(first) if clustered else [])]:
            assert isinstance(ev.value, dict)
            item = (ev.topic, ev.key.encode(), orjson.dumps(ev.value), str(ev.value["id"]))
            ids.add(item[3])
            if ev in first:
                mix.inputs.append(item)
            else:
                due = len(mix.inputs) + rng.randint(1, FOLLOW_UP_SPREAD)
                heapq.heappush(pending, (due, next(seq), item))
            if rng.random() < DUPLICATE_SHARE:
                heapq.heappush(pending, (len(mix.inputs) + rng.randint(1, 200), next(seq), item))
        mix.valid |= ids
        mix.emergencies.append(ids)
        while pending and pending[0][0] <= len(mix.inputs):
            mix.inputs.append(heapq.heappop(pending)[2])
    mix.inputs += [item for _, _, item in sorted(pending)]
    return mix


@dataclass
class Observer:
    """Reads ``incidents`` and ``deadletter`` and remembers when each id first showed up."""

    first_seen: dict[str, float] = field(default_factory=dict)
    dead: set[str] = field(default_factory=set)
    latest: dict[str, tuple[int, list[str]]] = field(default_factory=dict)
    overlaid: dict[str, float] = field(default_factory=dict)  # incident id → first overlay
    assigned: dict[str, float] = field(default_factory=dict)  # incident id → first order
    unverified: set[str] = field(default_factory=set)  # incidents waiting for confirmation
    forwarded: int = 0
    last_at: float = 0.0
    border_items: int = 0  # incident states the zones announced to the merge stage
    merged: set[str] = field(default_factory=set)  # incidents merged away across a border

    def take(self, topic: str, value: bytes, now: float) -> None:
        """Account for one record of a watched topic."""
        if topic.endswith("deadletter"):
            rec = orjson.loads(value)
            marker = rec.get("event_id") or rec.get("payload") or ""
            self.dead.add(marker.split('"')[3] if marker.startswith("{") else marker)
        elif topic.endswith("gt-merge"):
            self.border_items += len(records.parse(value))
            return  # the merge stage's load is counted apart (border_items)
        elif topic.endswith("incidents"):
            rec = orjson.loads(value)
            if rec.get("merged_into"):
                self.merged.add(rec["id"])
            ids = [e["id"] for e in rec["evidence"]]
            for eid in ids:
                self.first_seen.setdefault(eid, now)
            if rec["id"] not in self.latest or rec["version"] >= self.latest[rec["id"]][0]:
                self.latest[rec["id"]] = (rec["version"], ids)
                if rec.get("unverified"):
                    self.unverified.add(rec["id"])
                else:
                    self.unverified.discard(rec["id"])
        elif topic.endswith("assignments"):
            self.assigned.setdefault(orjson.loads(value)["incident_id"], now)
            return  # the dispatch stage's work is timed apart (ingest_to_recommendation_*)
        elif topic.endswith("overlays"):
            self.overlaid.setdefault(orjson.loads(value)["incident_id"], now)
            return  # the follow-up stage's work is timed apart (follow_up_elapsed_s)
        else:
            self.forwarded += 1
        self.last_at = now

    def recommended(self, mix: Mix, sent: dict[str, float]) -> tuple[list[float], int]:
        """Milliseconds from the first input of each incident of ``mix`` to its first
        assignment record (a recommendation, or an order for priority 1), and how many
        incidents that will be planned (not unverified) have none yet."""
        out, waiting = [], 0
        for inc_id, (_, ids) in self.latest.items():
            times = [sent[i] for i in ids if i in mix.valid and i in sent]
            if not times or inc_id in self.unverified:
                continue
            if inc_id in self.assigned:
                out.append((self.assigned[inc_id] - min(times)) * 1000)
            else:
                waiting += 1
        return out, waiting

    def missing(self, mix: Mix) -> set[str]:
        """Input ids not yet accounted for."""
        return (mix.valid - self.first_seen.keys() - self.dead) | (mix.malformed - self.dead)

    def accounted(self, *mixes: Mix) -> int:
        """Input ids of ``mixes`` accounted for so far."""
        return sum(len(m.valid) + len(m.malformed) - len(self.missing(m)) for m in mixes)

    def duplicates(self) -> int:
        """Evidence counted by more than one incident, or more than once by one."""
        counts: dict[str, int] = {}
        for _, ids in self.latest.values():
            for eid in ids:
                counts[eid] = counts.get(eid, 0) + 1
        return sum(c - 1 for c in counts.values())

    def split(self, mix: Mix) -> int:
        """Generated emergencies whose evidence ended in more than one incident."""
        owner = {eid: inc for inc, (_, ids) in self.latest.items() for eid in ids}
        return sum(1 for ids in mix.emergencies if len({owner.get(i) for i in ids} - {None}) > 1)


async def watch(bootstrap: str, topics: list[str], obs: Observer, stop: asyncio.Event) -> None:
    """Feed ``obs`` with every record of ``topics`` from the beginning until ``stop``."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=None, fetch_max_wait_ms=20, max_poll_records=5000
    )
    await consumer.start()
    try:
        tps = []
        for topic in topics:
            while not consumer.partitions_for_topic(topic):
                await consumer._client.force_metadata_update()
            tps += [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        while not stop.is_set():
            batch = await consumer.getmany(timeout_ms=50)
            now = time.time()
            for tp, recs in batch.items():
                for r in recs:
                    if r.value is not None:
                        obs.take(tp.topic, r.value, now)
    finally:
        await consumer.stop()


CREW_STEPS_S = (("en_route", 0.2), ("on_scene", 0.4), ("available", 0.6))
"""A crew assigned reports en route, on scene and available again (at its station) this many
seconds after its order: units come back within the run, so every incident's recommendation
is a real one (without it a surge spent the fleet within seconds, and later recommendations
were cheap and empty)."""


async def crews(
    bootstrap: str, topics: Topics, home: dict[str, tuple[float, float]], stop: asyncio.Event
) -> int:
    """Crews of assigned units report on ``unit-status`` (``CREW_STEPS_S``) until ``stop``;
    the reports sent."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=None, fetch_max_wait_ms=20, max_poll_records=5000
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=2)
    await consumer.start()
    await producer.start()
    due: list[tuple[float, int, dict[str, Any]]] = []
    seq = itertools.count()
    sent = 0
    try:
        while not consumer.partitions_for_topic(topics.assignments):
            await consumer._client.force_metadata_update()
        parts = consumer.partitions_for_topic(topics.assignments)
        tps = [TopicPartition(topics.assignments, p) for p in parts]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        while not stop.is_set():
            batch = await consumer.getmany(timeout_ms=50)
            now = time.monotonic()
            for recs in batch.values():
                for r in recs:
                    order = orjson.loads(r.value) if r.value else {}
                    unit_id = order.get("unit_id", "")
                    if order.get("status") != "assigned" or unit_id not in home:
                        continue
                    for status, after_s in CREW_STEPS_S:
                        report = {
                            "unit_id": unit_id,
                            "kind": order.get("unit_kind") or "engine",
                            "status": status,
                        }
                        if status == "available":
                            lon, lat = home[unit_id]
                            report["location"] = {"lon": lon, "lat": lat}
                        heapq.heappush(due, (now + after_s, next(seq), report))
            while due and due[0][0] <= time.monotonic():
                report = heapq.heappop(due)[2]
                report["at"] = datetime.now(KST).isoformat(timespec="milliseconds")
                key = report["unit_id"].encode()
                await producer.send(topics.unit_status, orjson.dumps(report), key=key)
                sent += 1
    finally:
        await producer.stop()
        await consumer.stop()
    return sent


async def produce(
    bootstrap: str, topics: Topics, inputs: Iterable[Input], rate_per_s: float | None = None
) -> dict[str, float]:
    """Send ``inputs`` (paced at ``rate_per_s`` in 10 ms ticks when given); id → send time."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=2)
    await producer.start()
    sent: dict[str, float] = {}
    try:
        items = list(inputs)
        step = max(1, int(rate_per_s / 100)) if rate_per_s else 2000
        t0 = time.monotonic()
        for start in range(0, len(items), step):
            if rate_per_s:
                delay = t0 + start / rate_per_s - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            futures = []
            for base, key, value, eid in items[start : start + step]:
                sent.setdefault(eid, time.time())
                futures.append(await producer.send(topics.name(base), value, key=key))
            if not rate_per_s:
                await asyncio.gather(*futures)
        await producer.flush()
    finally:
        await producer.stop()
    return sent


async def passthrough_loop(bootstrap: str, source: str, target: str, partitions: int) -> None:
    """The baseline: consume ``source`` and produce every record to ``target``, forever."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=None, fetch_max_wait_ms=20, max_poll_records=5000
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=2)
    await consumer.start()
    await producer.start()
    tps = [TopicPartition(source, p) for p in range(partitions)]
    consumer.assign(tps)
    await consumer.seek_to_beginning(*tps)
    while True:
        batch = await consumer.getmany(timeout_ms=100)
        futures = [
            await producer.send(target, r.value, key=r.key) for recs in batch.values() for r in recs
        ]
        await asyncio.gather(*futures)


async def until(check: Any, timeout_s: float, interval_s: float = 0.02) -> bool:
    """Wait until ``check()`` is true; False after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(interval_s)
    return True


def rss_mb(pid: int) -> dict[str, float | None]:
    """Resident and peak resident memory of a process and its children (the worker's
    follow-up stage), in MB (None once it has exited); peaks are summed, an upper bound."""
    try:
        procs = [psutil.Process(pid)]
        procs += procs[0].children(recursive=True)
        rss = sum(p.memory_info().rss for p in procs)
        peak = sum(_peak_kb(p.pid) for p in procs) * 1024
    except (psutil.Error, OSError):
        return {"worker_rss_mb": None, "worker_peak_rss_mb": None}
    return {"worker_rss_mb": round(rss / 2**20, 1), "worker_peak_rss_mb": round(peak / 2**20, 1)}


STAGES = {"--intake-only": "intake", "dispatch": "dispatch", "follow": "follow"}


def cpu_s(pid: int) -> dict[str, float]:
    """CPU seconds (user + system) so far of the worker's zone stage (its main process: the
    zones and, with several zones, the merge stage) and of each child stage."""
    out: dict[str, float] = {}
    try:
        main = psutil.Process(pid)
        for proc in [main, *main.children(recursive=True)]:
            argv = proc.cmdline()
            stage = "zone" if proc.pid == pid else "other"
            stage = next((name for arg, name in STAGES.items() if arg in argv), stage)
            t = proc.cpu_times()
            out[stage] = out.get(stage, 0.0) + t.user + t.system
    except (psutil.Error, OSError):
        pass
    return out


def broker_cpu_s(broker: EmbeddedBroker) -> dict[str, float]:
    """CPU seconds so far of the broker (Tansu)."""
    try:
        assert broker.proc is not None
        t = psutil.Process(broker.proc.pid).cpu_times()
    except (AssertionError, psutil.Error, OSError):
        return {}
    return {"broker": t.user + t.system}


def _peak_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (0..100) of ``values`` in ms, rounded (None with under 2 values)."""
    cuts = statistics.quantiles(values, n=1000, method="inclusive") if len(values) > 1 else []
    return round(cuts[int(q * 10) - 1], 1) if cuts else None


def note(message: str) -> None:
    """Progress on stderr (stdout carries only the result)."""
    print(f"[bench.fusion {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


async def run(args: argparse.Namespace, run_dir: Path) -> dict[str, Any]:
    """The whole benchmark; returns the JSON result."""
    with EmbeddedBroker(run_dir) as broker, EmbeddedCache(run_dir) as cache:
        settings = local_settings(
            broker.bootstrap,
            cache.url,
            run_dir,
            topic_prefix="bench-",
            partitions=args.partitions,
            data_dir=args.data_dir,
            log_level="warning",
        ).replace(zones=args.zones)
        topics = Topics(settings.topic_prefix)
        ensure_topics(broker.bootstrap, topics, settings.partitions)
        pt = Topics("bench-pt-")
        ensure_topics(broker.bootstrap, pt, settings.partitions)
        city = load_city(args.data_dir)
        rng = random.Random(args.seed)
        traffic = CityTraffic(city, rng, malformed_share=0.0)
        now = datetime.now(KST)
        clustered = args.mix == "clustered"
        history = timedelta(hours=HISTORY_H)
        mix = city_mix(traffic, rng, args.events, now - history, history, clustered)
        paced = city_mix(
            traffic,
            rng,
            int(args.rate * args.latency_s),
            now - RECENT,
            timedelta(0),
            clustered,
        )
        idle = city_mix(traffic, rng, args.idle_events, now - RECENT, timedelta(0))
        env = {**child_env(settings), "PYTHONPATH": str(REPO_ROOT)}
        worker = spawn([sys.executable, "-m", "stack.cli", "worker"], run_dir / "worker.log", env)
        loop_proc = spawn(
            [sys.executable, "-m", "bench.fusion", "--passthrough", broker.bootstrap],
            run_dir / "passthrough.log",
            env,
        )
        stop, obs = asyncio.Event(), Observer()
        home = {u.unit_id: (st.lon, st.lat) for st in city.stations for u in st.units}
        crew_task = asyncio.create_task(crews(broker.bootstrap, topics, home, stop))
        watcher = asyncio.create_task(
            watch(
                broker.bootstrap,
                [
                    topics.incidents,
                    topics.deadletter,
                    topics.overlays,
                    topics.assignments,
                    topics.merge,
                    pt.alerts,
                ],
                obs,
                stop,
            )
        )
        try:
            wait_until(
                lambda: worker_ready(settings.redis_url, settings.namespace, settings.worker_id),
                "worker",
                90,
            )
            # Baseline: the same payloads through a bare consume→produce loop.
            t0 = time.time()
            await produce(broker.bootstrap, pt, [("calls", k, v, i) for _, k, v, i in mix.inputs])
            await until(lambda: obs.forwarded >= len(mix.inputs), args.drain_s)
            passthrough = obs.forwarded / max(obs.last_at - t0, 1e-9)
            note(f"passthrough: {obs.forwarded} records, {passthrough:.0f}/s")
            # The path unloaded (a few events at 5/s): the floor without queueing.
            idle_sent = await produce(broker.bootstrap, topics, idle.inputs, 5.0)
            await until(lambda: not obs.missing(idle), args.drain_s, 0.1)
            idle_ms = [
                (obs.first_seen[i] - idle_sent[i]) * 1000 for i in idle.valid if i in obs.first_seen
            ]
            # Latency at a controlled offered load, from an idle worker.
            sent = await produce(broker.bootstrap, topics, paced.inputs, args.rate)
            drained = await until(lambda: not obs.missing(paced), args.drain_s, 0.1)
            latencies = [
                (obs.first_seen[i] - sent[i]) * 1000 for i in paced.valid if i in obs.first_seen
            ]
            note(f"latency: {len(latencies)} of {len(paced.valid)} ids seen")
            await until(lambda: obs.recommended(paced, sent)[1] == 0, 5.0, 0.1)
            orders, unplanned = obs.recommended(paced, sent)
            # Throughput: everything as fast as possible; the rate counts every id accounted
            # in the window (a paced backlog left over is work done in it too).
            before = obs.accounted(paced, mix)
            cpu_before = cpu_s(worker.pid) | broker_cpu_s(broker)
            t0 = time.time()
            await produce(broker.bootstrap, topics, mix.inputs)
            produced_s = time.time() - t0
            note(f"produced {len(mix.inputs)} inputs in {produced_s:.1f} s; worker {worker.pid}")
            drained = await until(lambda: not obs.missing(mix), args.drain_s, 0.1) and drained
            cpu_after = cpu_s(worker.pid) | broker_cpu_s(broker)
            elapsed = max(obs.last_at, t0) - t0
            done = obs.accounted(paced, mix) - before
            note(f"accounted {done} ids in {elapsed:.1f} s (drained: {drained})")
            # The follow-up stage (overlays, alerts) runs beside fusion: every incident has
            # an overlay once it has caught up.
            await until(lambda: obs.latest.keys() <= obs.overlaid.keys(), args.drain_s, 0.1)
            follow_up = max(obs.overlaid.values(), default=t0) - t0
            memory = rss_mb(worker.pid)
        finally:
            stop.set()
            await watcher
            crew_reports = await crew_task
            stop_process(loop_proc)
            stop_process(worker)
        events = len(mix.inputs)
        distinct = len(mix.valid) + len(mix.malformed)
        unaccounted = sum(len(obs.missing(m)) for m in (mix, paced, idle))
        cpu_us = {
            f"{stage}_cpu_us_per_event": round(
                (cpu_after[stage] - cpu_before.get(stage, 0.0)) / events * 1e6, 1
            )
            for stage in sorted(cpu_after)
        }
        zones = ZoneMap.parse(args.zones, city.bbox)
        return {
            "mix": args.mix,
            "events_per_emergency": round(len(mix.valid) / max(1, len(mix.emergencies)), 2),
            "events": events,
            "distinct_ids": distinct,
            "malformed": len(mix.malformed),
            "duplicates_sent": events - len(mix.valid) - len(mix.malformed),
            "emergencies": len(mix.emergencies) + len(paced.emergencies) + len(idle.emergencies),
            "incidents": len(obs.latest),
            "split_emergencies": obs.split(mix) + obs.split(paced) + obs.split(idle),
            "produce_s": round(produced_s, 2),
            "elapsed_s": round(elapsed, 2),
            "drained": drained,  # every input accounted for within the drain time
            "events_per_s": round(events * done / distinct / elapsed, 1),
            "passthrough_events_per_s": round(passthrough, 1),
            "ratio": round(events * done / distinct / elapsed / passthrough, 3),
            "offered_rate_per_s": args.rate,
            "follow_up_elapsed_s": round(follow_up, 2),
            "incidents_without_overlay": len(obs.latest.keys() - obs.overlaid.keys()),
            "ingest_to_incident_p50_ms": percentile(latencies, 50),
            "ingest_to_incident_p99_ms": percentile(latencies, 99),
            "ingest_to_recommendation_p50_ms": percentile(orders, 50),
            "ingest_to_recommendation_p99_ms": percentile(orders, 99),
            "recommended_incidents": len(orders),
            "incidents_without_recommendation": unplanned,
            "latency_ids_seen": len(latencies),
            "idle_ingest_to_incident_p50_ms": percentile(idle_ms, 50),
            "unaccounted": unaccounted,
            "lost": unaccounted if drained else None,
            "duplicate_incidents": obs.duplicates(),
            "crew_reports": crew_reports,
            "zones": zones.count,
            **cpu_us,
            "border_items": obs.border_items,
            "border_merges": len(obs.merged),
            **memory,
            "city": city.name,
        }


def main(argv: list[str] | None = None) -> int:
    """Entry point: print one JSON object."""
    p = argparse.ArgumentParser(prog="python -m bench.fusion", description=__doc__)
    p.add_argument("--quick", action="store_true", help="a smaller run, under 60 s")
    p.add_argument("--events", type=int, help="inputs in the throughput run")
    p.add_argument("--latency-s", type=float, help="seconds of paced load for latency")
    p.add_argument("--rate", type=float, default=1000.0, help="offered load, events/s")
    p.add_argument(
        "--mix",
        choices=["clustered", "scattered"],
        default="clustered",
        help="clustered: a disaster's follow-up reports (default); scattered: ~1 new "
        "incident per input, the worker's worst case",
    )
    p.add_argument("--partitions", type=int, default=4)
    p.add_argument(
        "--zones",
        default="1",
        help="fusion zones (GT_ZONES: 1, 8 or 4x2); reports CPU per event per stage and the "
        "merge stage's load",
    )
    p.add_argument("--seed", type=int, default=119)
    p.add_argument("--data-dir", type=Path, help="city data (default: Seoul data if present)")
    p.add_argument("--builtin", action="store_true", help="use the small built-in city")
    p.add_argument("--run-dir", type=Path, help="keep logs here (default: a temporary dir)")
    p.add_argument("--passthrough", metavar="BOOTSTRAP", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.passthrough:
        pt = Topics("bench-pt-")
        asyncio.run(passthrough_loop(args.passthrough, pt.calls, pt.alerts, args.partitions))
        return 0
    args.events = args.events or (2_000 if args.quick else 20_000)
    args.latency_s = args.latency_s or (3.0 if args.quick else 10.0)
    args.drain_s = 10.0 if args.quick else 900.0
    args.idle_events = 10 if args.quick else 30
    if args.builtin:
        args.data_dir = None
    elif args.data_dir is None and (DEFAULT_SEOUL_DATA / "seoul_nodelink_nodes.csv").exists():
        args.data_dir = DEFAULT_SEOUL_DATA
    with tempfile.TemporaryDirectory(prefix="gt-bench-fusion-") as tmp:
        (run_dir := args.run_dir or Path(tmp)).mkdir(parents=True, exist_ok=True)
        result = asyncio.run(run(args, run_dir))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
