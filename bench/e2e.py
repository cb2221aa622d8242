"""Benchmark: the whole stack under a disaster surge, every input accounted for.

    python -m bench.e2e [--quick] [--base-rate R] [--clients N] [--data-dir DIR]

Own embedded broker and cache, a worker and a console as real processes, and ``--clients``
WebSocket console clients with a dispatcher token, connected as the console page connects
(``?batch=1``: a backlog arrives as batch messages). In one run:

* ``passthrough_per_s``: the baseline, ``bench.fusion``'s bare aiokafka consume→produce
  loop in its own process on the same broker, over the same payloads.
* the surge: a city-wide mix (``scenarios.generator.CityTraffic`` over ``geo.load_city``,
  plus re-sent duplicates and malformed inputs) offered at ``--base-rate`` events/s, ramped
  to 20× and held, then back to normal (full: 60 + 60 + 120 + 30 s; quick: ~40 s).
* ``event_to_console_p50_ms`` / ``_p99_ms``: from producing an input to the first incident
  frame naming it received on a console socket (client 0), at normal load (the first
  phase) and, separately, ``surge_event_to_console_*`` for inputs sent at 20×.
* ``sustained_per_s``: distinct inputs accounted for (an incident naming them, or a
  dead-letter record) per second during the surge phase; ``ratio`` = that / passthrough.
* ``not_offered``: planned inputs the bench itself could not send in time (its producer
  fell behind the phases' rates on a busy machine); they are left out of every figure.
* ``lost``: inputs never accounted for once the worker has drained its backlog (``null``
  when it had not drained within the drain time: then ``unaccounted_at_end`` is backlog,
  not loss); ``duplicates`` (evidence counted twice, an assignment decision or an alert
  draft made twice), ``deadlettered``, ``worker_rss_mb``.
Prints ONE JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from aiokafka import AIOKafkaProducer
from websockets.asyncio.client import connect
from websockets.exceptions import WebSocketException

from access import Role, TokenAuthority
from bench.fusion import HISTORY_H, Input, Mix, Observer, city_mix, produce, rss_mb, until, watch
from geo import load_city
from scenarios.generator import KST, CityTraffic
from stack.embedded import (
    EmbeddedBroker,
    EmbeddedCache,
    local_settings,
    spawn,
    stop_process,
)
from stack.settings import REPO_ROOT
from stack.supervisor import child_env, console_ready, wait_until, worker_ready
from streams.topics import Topics, ensure_topics

__all__ = ["EffectLedger", "Phase", "SurgeObserver", "main", "surge_phases"]

PT_PREFIX = "bench-pt-"  # the topics of ``python -m bench.fusion --passthrough``
INCIDENT_FRAME = '{"type":"incident"'


@dataclass(frozen=True, slots=True)
class Phase:
    """A stretch of the surge: offered rate goes linearly from ``start`` to ``end`` × base."""

    name: str
    duration_s: float
    start: float
    end: float

    def rate(self, base_per_s: float, t_s: float) -> float:
        """Offered events/s ``t_s`` seconds into the phase."""
        return base_per_s * (self.start + (self.end - self.start) * t_s / self.duration_s)


SHAPE = {"normal": (1, 1), "ramp": (1, 20), "surge": (20, 20), "recovery": (1, 1)}
"""Phase → offered rate at its start and end, in multiples of the base rate."""
DURATIONS_S = {False: (60, 60, 120, 30), True: (10, 8, 15, 5)}


def surge_phases(quick: bool) -> list[Phase]:
    """Normal load, a ramp to 20×, the surge held, and back to normal."""
    return [
        Phase(name, duration_s, start, end)
        for (name, (start, end)), duration_s in zip(SHAPE.items(), DURATIONS_S[quick], strict=True)
    ]


@dataclass
class EffectLedger:
    """Assignment and alert records, to find a decision made twice."""

    assignments: dict[tuple[str, str, str], dict[str, bytes]] = field(default_factory=dict)
    alert_drafts: dict[str, dict[str, bytes]] = field(default_factory=dict)

    def take_assignment(self, rec: dict[str, Any]) -> None:
        """Remember each (incident, unit, status) state by its issue time."""
        body = {k: v for k, v in rec.items() if k != "issued_at"}
        states = self.assignments.setdefault(
            (rec["incident_id"], rec["unit_id"], rec["status"]), {}
        )
        states[str(rec.get("issued_at"))] = orjson.dumps(body, option=orjson.OPT_SORT_KEYS)

    def take_alert(self, rec: dict[str, Any]) -> None:
        """Remember the first record of each alert id, per incident."""
        drafts = self.alert_drafts.setdefault(str(rec.get("incident_id")), {})
        if rec["id"] not in drafts:
            same = {k: rec.get(k) for k in ("status", "severity", "tier", "headline")}
            drafts[rec["id"]] = orjson.dumps(same, option=orjson.OPT_SORT_KEYS)

    def duplicate_assignments(self) -> int:
        """Dispatch orders (``assigned``) for one unit and incident issued at two times."""
        return self.repeated_records({"assigned"})

    def repeated_records(self, statuses: set[str] | None = None) -> int:
        """Identical assignment states issued at several times (for ``recommended`` and
        ``cancelled`` a harmless upsert of the same (incident, unit) state)."""
        return sum(
            len(v) - len(set(v.values()))
            for k, v in self.assignments.items()
            if statuses is None or k[2] in statuses
        )

    def repeated_alerts(self) -> dict[str, list[str]]:
        """Incidents with identical drafts under several alert ids, with those ids."""
        return {i: sorted(d) for i, d in self.alert_drafts.items() if len(d) > len(set(d.values()))}

    def duplicate_alerts(self) -> int:
        """Identical alert drafts issued under two alert ids for one incident."""
        return sum(len(d) - len(set(d.values())) for d in self.alert_drafts.values())


@dataclass
class SurgeObserver(Observer):
    """The fusion observer, also timing dead letters and collecting effects."""

    dead_at: dict[str, float] = field(default_factory=dict)
    effects: EffectLedger = field(default_factory=EffectLedger)

    def take(self, topic: str, value: bytes, now: float) -> None:
        """Account for one record of a watched topic."""
        if topic.endswith("assignments"):
            self.effects.take_assignment(orjson.loads(value))
        elif topic.endswith("alerts"):
            self.effects.take_alert(orjson.loads(value))
        else:
            before = set(self.dead) if topic.endswith("deadletter") else None
            super().take(topic, value, now)
            for eid in self.dead - before if before is not None else ():
                self.dead_at[eid] = now

    def duplicates(self) -> int:
        """Evidence counted twice, plus assignment decisions and alert drafts made twice."""
        return (
            super().duplicates()
            + self.effects.duplicate_assignments()
            + self.effects.duplicate_alerts()
        )


@dataclass
class ConsoleClients:
    """WebSocket console clients; client 0 times each evidence id's first incident frame."""

    url: str
    token: str
    seen_at: dict[str, float] = field(default_factory=dict)
    frames: int = 0
    reconnects: int = 0

    async def run(self, index: int, stop: asyncio.Event) -> None:
        """Stay connected (reconnecting after a drop) until ``stop``."""
        headers = {"Authorization": f"Bearer {self.token}"}
        while not stop.is_set():
            try:
                async with connect(self.url, additional_headers=headers, max_size=None) as ws:
                    while not stop.is_set():
                        try:
                            text = await asyncio.wait_for(ws.recv(), 0.5)
                        except TimeoutError:
                            continue
                        self.frames += 1
                        if index == 0:
                            self._take(str(text), time.time())
            except (OSError, WebSocketException):
                self.reconnects += 1
                await asyncio.sleep(0.2)

    def _take(self, text: str, now: float) -> None:
        if text.startswith(INCIDENT_FRAME):
            incidents = [orjson.loads(text)["data"]]
        elif text.startswith('{"type":"snapshot"'):
            incidents = orjson.loads(text)["data"].get("incidents", [])
        elif text.startswith('{"type":"batch"'):
            frames = orjson.loads(text)["data"]
            incidents = [f["data"] for f in frames if f.get("type") == "incident"]
        else:
            return
        for inc in incidents:
            for ev in inc.get("evidence", []):
                self.seen_at.setdefault(ev["id"], now)


async def offer(
    bootstrap: str, topics: Topics, inputs: list[Input], phases: list[Phase], base: float
) -> tuple[dict[str, float], dict[str, tuple[float, float]], int]:
    """Produce ``inputs`` along the phases' rates in 10 ms ticks; id → send time, windows,
    and how many inputs were sent (fewer than planned when the bench fell behind)."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    sent: dict[str, float] = {}
    windows: dict[str, tuple[float, float]] = {}
    n = 0
    try:
        for phase in phases:
            t0, due = time.time(), 0.0
            while (elapsed := time.time() - t0) < phase.duration_s and n < len(inputs):
                due += phase.rate(base, elapsed) * 0.01
                for base_name, key, value, eid in inputs[n : n + int(due)]:
                    sent.setdefault(eid, time.time())
                    await producer.send(topics.name(base_name), value, key=key)
                n, due = n + int(due), due - int(due)
                await asyncio.sleep(max(0.0, t0 + elapsed + 0.01 - time.time()))
            windows[phase.name] = (t0, time.time())
        await producer.flush()
    finally:
        await producer.stop()
    return sent, windows, n


def expected_events(phases: list[Phase], base: float) -> int:
    """How many inputs the phases offer in all."""
    return int(sum(base * (p.start + p.end) / 2 * p.duration_s for p in phases)) + 1


def latency_ms(sent: dict[str, float], seen: dict[str, float], ids: set[str]) -> list[Any]:
    """[p50, p99] of seen − sent over ``ids`` (None when fewer than two were seen)."""
    values = [(seen[i] - sent[i]) * 1000 for i in ids if i in seen and i in sent]
    if len(values) < 2:
        return [None, None]
    q = statistics.quantiles(values, n=100, method="inclusive")
    return [round(q[49], 1), round(q[98], 1)]


def rate_in(times: list[float], window: tuple[float, float]) -> float:
    """Events per second whose time falls in ``window``."""
    a, b = window
    return round(sum(1 for t in times if a <= t < b) / max(b - a, 1e-9), 1)


async def baseline(bootstrap: str, mix: Mix, env: dict[str, str], run_dir: Path) -> float:
    """Events/s of a bare consume→produce loop over the same payloads."""
    pt = Topics(PT_PREFIX)
    ensure_topics(bootstrap, pt, 4)
    loop_proc = spawn(
        [sys.executable, "-m", "bench.fusion", "--passthrough", bootstrap],
        run_dir / "passthrough.log",
        env,
    )
    obs, stop = Observer(), asyncio.Event()
    watcher = asyncio.create_task(watch(bootstrap, [pt.alerts], obs, stop))
    try:
        t0 = time.time()
        await produce(bootstrap, pt, [("calls", k, v, i) for _, k, v, i in mix.inputs])
        await until(lambda: obs.forwarded >= len(mix.inputs), 120)
        return obs.forwarded / max(obs.last_at - t0, 1e-9)
    finally:
        stop.set()
        await watcher
        stop_process(loop_proc)


async def run(args: argparse.Namespace, run_dir: Path) -> dict[str, Any]:
    """The whole benchmark; returns the JSON result."""
    with EmbeddedBroker(run_dir) as broker, EmbeddedCache(run_dir) as cache:
        settings = local_settings(
            broker.bootstrap,
            cache.url,
            run_dir,
            topic_prefix="e2e-",
            partitions=args.partitions,
            data_dir=args.data_dir,
        )
        topics = Topics(settings.topic_prefix)
        ensure_topics(broker.bootstrap, topics, settings.partitions)
        city = load_city(args.data_dir)
        rng = random.Random(args.seed)
        phases = surge_phases(args.quick)
        span = timedelta(hours=HISTORY_H)
        mix = city_mix(
            CityTraffic(city, rng, 0.0),
            rng,
            expected_events(phases, args.base_rate),
            datetime.now(KST) - span,
            span,
        )
        env = {**child_env(settings), "PYTHONPATH": str(REPO_ROOT)}
        passthrough = await baseline(broker.bootstrap, mix, env, run_dir)
        cli = [sys.executable, "-m", "stack.cli"]
        worker = spawn([*cli, "worker"], run_dir / "worker.log", env)
        console = spawn([*cli, "console"], run_dir / "console.log", env)
        stop, ws_stop = asyncio.Event(), asyncio.Event()
        obs = SurgeObserver()
        watched = [topics.incidents, topics.deadletter, topics.assignments, topics.alerts]
        watcher = asyncio.create_task(watch(broker.bootstrap, watched, obs, stop))
        token = TokenAuthority(settings.auth_secret.encode()).mint(Role.DISPATCHER, "bench")
        # as the console page connects: a backlog comes as one batch message
        ws_url = f"ws://{settings.console_host}:{settings.console_port}/ws/console?batch=1"
        clients = ConsoleClients(ws_url, token)
        tasks: list[asyncio.Task[None]] = []
        try:
            ready = (settings.redis_url, settings.namespace, settings.worker_id)
            wait_until(
                lambda: worker_ready(*ready) and console_ready(settings.console_url), "stack", 120
            )
            tasks = [asyncio.create_task(clients.run(i, ws_stop)) for i in range(args.clients)]
            await asyncio.sleep(1.0)
            t_start = time.time()
            sent, windows, offered = await offer(
                broker.bootstrap, topics, mix.inputs, phases, args.base_rate
            )
            offered_s = time.time() - t_start
            # a bench that could not keep up with the phases' rates sent fewer inputs than
            # planned: only what was sent can be accounted for (``not_offered`` says how many)
            not_offered = {eid for *_, eid in mix.inputs} - sent.keys()
            mix.valid -= not_offered
            mix.malformed -= not_offered
            drained = await until(lambda: not obs.missing(mix), args.drain_s, 0.1)
            drain_s = time.time() - windows["recovery"][1]
            await until(lambda: mix.valid <= clients.seen_at.keys(), 10.0, 0.1)
            memory = rss_mb(worker.pid)
            console_mem = rss_mb(console.pid)["worker_rss_mb"]
        finally:
            ws_stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            stop.set()
            await watcher
            stop_process(console)
            stop_process(worker)
        ids_in = {
            name: {eid for eid, t in sent.items() if a <= t < b and eid in mix.valid}
            for name, (a, b) in windows.items()
        }
        normal = latency_ms(sent, clients.seen_at, ids_in["normal"])
        surge = latency_ms(sent, clients.seen_at, ids_in["surge"])
        done_times = list(obs.first_seen.values()) + list(obs.dead_at.values())
        sustained = rate_in(done_times, windows["surge"])
        events = offered
        return {
            "events": events,
            "not_offered": len(not_offered),
            "duplicates_sent": events - len(mix.valid) - len(mix.malformed),
            "offered_per_s": round(events / offered_s, 1),
            "sustained_per_s": sustained,
            "phase_processed_per_s": {n: rate_in(done_times, w) for n, w in windows.items()},
            "phase_offered_per_s": {
                n: round(len(ids_in[n]) / (w[1] - w[0]), 1) for n, w in windows.items()
            },
            "passthrough_per_s": round(passthrough, 1),
            "ratio": round(sustained / passthrough, 3),
            "event_to_console_p50_ms": normal[0],
            "event_to_console_p99_ms": normal[1],
            "surge_event_to_console_p50_ms": surge[0],
            "surge_event_to_console_p99_ms": surge[1],
            "not_seen_on_console": len(mix.valid - clients.seen_at.keys()),
            "drained": drained,
            "drain_after_offer_s": round(drain_s, 1),
            "lost": len(obs.missing(mix)) if drained else None,
            "unaccounted_at_end": len(obs.missing(mix)),
            "duplicates": obs.duplicates(),
            "duplicate_evidence": Observer.duplicates(obs),
            "duplicate_assignments": obs.effects.duplicate_assignments(),
            "duplicate_alerts": obs.effects.duplicate_alerts(),
            "repeated_assignment_records": obs.effects.repeated_records(),
            "deadlettered": len(mix.malformed & obs.dead),
            "incidents": len(obs.latest),
            "console_frames": clients.frames,
            "console_reconnects": clients.reconnects,
            **memory,
            "console_rss_mb": console_mem,
            "run_s": round(time.time() - t_start, 1),
            "city": city.name,
        }


def main(argv: list[str] | None = None) -> int:
    """Entry point: print one JSON object."""
    p = argparse.ArgumentParser(prog="python -m bench.e2e", description=__doc__)
    p.add_argument("--quick", action="store_true", help="a ~40 s surge instead of 4.5 min")
    p.add_argument("--base-rate", type=float, default=150.0, help="normal load, events/s")
    p.add_argument("--clients", type=int, default=5, help="WebSocket console clients")
    p.add_argument("--partitions", type=int, default=2)
    p.add_argument("--seed", type=int, default=119)
    p.add_argument("--data-dir", type=Path, default=None, help="Seoul data (default: built-in)")
    p.add_argument("--run-dir", type=Path, help="keep logs here (default: a temporary dir)")
    p.add_argument(
        "--drain-s",
        type=float,
        help="how long to wait after the offer for the backlog to drain before counting what "
        "is lost (default 300 s, 900 s full: a backlog is not a loss until it has had time)",
    )
    args = p.parse_args(argv)
    args.drain_s = args.drain_s or (300.0 if args.quick else 900.0)
    run_dir = args.run_dir or Path(tempfile.mkdtemp(prefix="gt-bench-e2e-"))
    run_dir.mkdir(parents=True, exist_ok=True)
    print(json.dumps(asyncio.run(run(args, run_dir))))
    if not args.run_dir:
        shutil.rmtree(run_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
