"""Closures benchmark: how fast routing obeys a closed bridge, tunnel or underpass.

Runs the dispatch stage's own code (``streams.dispatch_stage.DispatchStage`` over dict
stores, the calibrated travel model as in the worker) on Seoul, with ambulances and engines
already on their way to cardiac arrests across the city. Per closure of a structure that
some route crosses:

- closure_to_routing_ms: the close command applied (the ``road-closures`` record produced,
  the links taken out of routing, the units crossing it rerouted) and then a recommendation
  for an emergency at the structure computed without its links;
- reroute_ms: the new routes for the units whose route crossed it (part of the above);
- units_cut_off: units whose scene no road reaches around the closure (their route is
  withheld, with a reason, rather than left through the closed link);
- without_edges_ms: taking the links out of the road graph (``RoadGraph.without_edges``).

Baseline, same run: a full graph rebuild per closure (``build_road_graph`` over every link
but the closed ones), and that rebuild plus a new station table (what the station-table
fast path would need to stay exact). ``through_closed`` counts recommended or rerouted
routes that still use a closed link (must be 0).

End to end (``e2e``): the real embedded broker and cache and a real worker process
(``bench.stackrun.BenchStack``). Calls at random places of the city get real
recommendations; then, one structure at a time (the one the most current routes cross), a
``close_structure`` command goes onto the commands topic as the console sends it, and a
consumer of ``road-closures`` and ``assignments`` times:

- e2e_command_to_closure_record_ms: command produced → its ``closed`` record seen on
  ``road-closures``;
- e2e_closure_to_routing_ms: that record seen → the first ``assignments`` record computed
  after the command for an incident whose route crossed the structure (the reroute naming
  it) seen, with a route around it. The worker computes the reroutes in the step that makes
  the record and produces them right after it, so both usually arrive in the same poll of
  the consumer (a poll waits at most 20 ms), which reads as 0; a reroute seen before its
  record counts as 0 too, and in ``e2e_routing_before_record``;
- e2e_command_to_routing_ms: command produced → that assignments record seen;
- e2e_orders_rerouted / _cut_off / _not_rerouted: the orders that crossed a closed
  structure and got a new route, got their route withheld (no road around), or got no new
  record within 10 s (must be 0);
- e2e_call_to_recommendation_closed_ms: while it is closed, a call at a fresh place →
  its first recommendation seen (recommendations search the graph without the links
  instead of reading the station table); baseline ``e2e_baseline``: the same, one call at a
  time, with nothing closed. ``e2e_calls_unanswered``: calls with no recommendation within
  15 s (not timed).

Each structure is reopened (and its ``open`` record awaited) before the next one. The
``_first_ms`` figures are the first closure's and the first call's alone: the worker's
first time down a path (p99 over few samples is mostly that one).
``e2e_through_closed`` counts the records after a closure that still cross it (must be 0).

    python -m bench.closures [--quick] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import platform
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from dispatch import Recommender
from geo import City, load_city
from geo.graph_build import build_road_graph
from geo.structures import Structure, structure_edges, structures
from geo.time_table import TimeTable
from geo.travel import TravelModel
from stack.settings import DEFAULT_SEOUL_DATA
from streams.contract import Command, CommandAction, EvidenceSource, IncidentType
from streams.dispatch_stage import DispatchStage
from streams.evidence import CALL_WEIGHT, Evidence
from streams.fusion import open_incident
from streams.zone import Effect

NOW = datetime(2026, 7, 15, 5, 0, tzinfo=UTC)  # 14:00 KST


def _ms(samples: list[float], q: float) -> float:
    return round(float(np.percentile(np.array(samples) * 1000.0, q)), 3) if samples else 0.0


def _incident(n: int, lon: float, lat: float, kind: IncidentType) -> dict[str, Any]:
    ev = Evidence(
        source=EvidenceSource.CALL,
        id=f"bench-call-{n}",
        at=NOW,
        type=kind,
        lon=lon,
        lat=lat,
        weight=CALL_WEIGHT,
        reporter=f"phone:{n}",
        kind=kind.value,
    )
    state = open_incident(ev, None, [])
    return {"incident": state.incident.model_dump(mode="json")}


def _closure_command(
    command_id: str, action: CommandAction, structure_id: str, reason: str, at: datetime
) -> Command:
    """A dispatcher's closure or reopening of a structure, as the bench sends them."""
    return Command(
        id=command_id,
        at=at,
        action=action,
        by="bench",
        role="dispatcher",
        structure_id=structure_id,
        reason=reason,
    )


def _command(n: int, action: CommandAction, structure: Structure) -> dict[str, Any]:
    cmd = _closure_command(f"bench-cmd-{n}", action, structure.id, "bench", NOW)
    return {"command": cmd.model_dump(mode="json"), "incident": None}


def _segments(city: City, edges: np.ndarray) -> set[tuple[float, float, float, float]]:
    src, dst, _, _ = city.roads.edge_arrays()
    lon, lat = city.roads.node_lonlats()
    return {(lon[u], lat[u], lon[v], lat[v]) for u, v in zip(src[edges], dst[edges], strict=True)}


def _crosses(record: dict[str, Any], blocked: set[tuple[float, float, float, float]]) -> bool:
    coords = (record.get("route") or {}).get("coordinates") or []
    return any((a[0], a[1], b[0], b[1]) in blocked for a, b in itertools.pairwise(coords))


def _of(effects: list[Effect], topic: str) -> list[dict[str, Any]]:
    return [orjson.loads(e.value) for e in effects if e.topic == topic]


def run(city: City, emergencies: int, closures: int, baselines: int) -> dict[str, Any]:
    """Every figure of one run, as plain values."""
    found = structures(city)
    recommender = Recommender(city, travel=TravelModel())
    recommender.prepare_coverage()
    tables: dict[str, dict[str, Any]] = {
        n: {} for n in ("units", "assignments", "plans", "commands-seen", "closures")
    }
    stage = DispatchStage(
        city,
        recommender,
        tables["units"],
        tables["assignments"],
        tables["plans"],
        tables["commands-seen"],
        NOW - timedelta(minutes=5),
        closures=tables["closures"],
    )
    rng = np.random.default_rng(24)
    lon, lat = city.roads.node_lonlats()
    for n, node in enumerate(rng.choice(city.roads.node_count, emergencies, replace=False)):
        stage.apply(
            _incident(n, float(lon[node]), float(lat[node]), IncidentType.CARDIAC_ARREST), NOW
        )
    en_route = [v for v in tables["assignments"].values() if v["status"] == "assigned"]
    crossed = Counter(
        s.id
        for s in found
        for v in en_route
        if _crosses(v, _segments(city, structure_edges(city, s)))
    )
    by_id = {s.id: s for s in found}
    order = [by_id[sid] for sid, _ in crossed.most_common()]
    chosen = order[:closures]
    timed_reroute: list[float] = []
    real_reroute = stage.dispatch.reroute

    def reroute(structure_id: str, now: datetime) -> list[Effect]:
        start = time.perf_counter()
        out = real_reroute(structure_id, now)
        timed_reroute.append(time.perf_counter() - start)
        return out

    stage.dispatch.reroute = reroute  # type: ignore[method-assign]
    to_routing: list[float] = []
    cut: list[float] = []
    rerouted = through = cut_off = 0
    for k, s in enumerate(chosen):
        edges = structure_edges(city, s)
        blocked = _segments(city, edges)
        start = time.perf_counter()
        out = stage.apply(_command(2 * k, CommandAction.CLOSE_STRUCTURE, s), NOW)
        recs = _of(
            stage.apply(_incident(10_000 + k, s.lon, s.lat, IncidentType.FIRE), NOW), "assignments"
        )
        to_routing.append(time.perf_counter() - start)
        moved = [a for a in _of(out, "assignments") if a.get("rerouted_because") == s.id]
        rerouted += sum(a["route"] is not None for a in moved)
        cut_off += sum(a["route"] is None for a in moved)
        through += sum(_crosses(a, blocked) for a in moved + recs)
        stage.apply(_command(2 * k + 1, CommandAction.REOPEN_STRUCTURE, s), NOW)
        graph = recommender.open_graph_at(NOW)
        start = time.perf_counter()
        graph.without_edges(edges)
        cut.append(time.perf_counter() - start)
    rebuild: list[float] = []
    rebuild_table: list[float] = []
    roads = city.roads
    src, dst, time_s, length = roads.edge_arrays()
    ids = [roads.node_id(i) for i in range(roads.node_count)]
    for s in chosen[:baselines]:
        keep = np.ones(roads.edge_count, bool)
        keep[structure_edges(city, s)] = False
        start = time.perf_counter()
        graph, _ = build_road_graph(
            node_ids=ids,
            lon=lon,
            lat=lat,
            src=src[keep],
            dst=dst[keep],
            length_m=length[keep],
            time_s=time_s[keep],
            streets=[""] * int(keep.sum()),
            crs=roads.projection.crs,
        )
        rebuild.append(time.perf_counter() - start)
        TimeTable(graph, np.unique(city.station_nodes))
        rebuild_table.append(time.perf_counter() - start)
    p99 = _ms(to_routing, 99)
    return {
        "structures": len(found),
        "structures_by_kind": dict(sorted(Counter(s.kind for s in found).items())),
        "units_en_route": len(en_route),
        "closures_measured": len(to_routing),
        "closure_to_routing_p50_ms": _ms(to_routing, 50),
        "closure_to_routing_p99_ms": p99,
        "closure_to_routing_target_ms": 1000.0,
        "reroute_p50_ms": _ms(timed_reroute, 50),
        "reroute_p99_ms": _ms(timed_reroute, 99),
        "units_rerouted": rerouted,
        "units_cut_off": cut_off,
        "through_closed": through,
        "without_edges_p50_ms": _ms(cut, 50),
        "baseline": {
            "name": "full graph rebuild per closure (build_road_graph), and with a new "
            "station table",
            "closures_measured": len(rebuild),
            "rebuild_p50_ms": _ms(rebuild, 50),
            "rebuild_with_station_table_p50_ms": _ms(rebuild_table, 50),
        },
        "rebuild_vs_without_edges": round(float(np.median(rebuild) / max(np.median(cut), 1e-9)), 1)
        if rebuild and cut
        else None,
    }


class _Watch:
    """One consumer of ``road-closures``, ``assignments`` and ``deadletter`` from their
    current ends: each record with the moment it was seen, the latest order per key."""

    def __init__(self, bootstrap: str, topics: Any) -> None:
        from aiokafka import AIOKafkaConsumer

        self.topics = topics
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap,
            group_id=None,
            enable_auto_commit=False,
            fetch_max_wait_ms=10,
        )
        self.seen: list[tuple[float, str, dict[str, Any], int]] = []
        """(when seen, topic, value, the record's timestamp in ms as its producer set it)"""
        self.orders: dict[tuple[str, str], dict[str, Any]] = {}

    async def start(self) -> None:
        from aiokafka import TopicPartition

        await self.consumer.start()
        tps = []
        for topic in (self.topics.road_closures, self.topics.assignments, self.topics.deadletter):
            parts = self.consumer.partitions_for_topic(topic)
            while not parts:
                await self.consumer._client.force_metadata_update()
                parts = self.consumer.partitions_for_topic(topic)
            tps += [TopicPartition(topic, p) for p in parts]
        self.consumer.assign(tps)
        await self.consumer.seek_to_end(*tps)
        for tp in tps:  # resolve the end offsets now, before anything is produced
            await self.consumer.position(tp)

    async def until(self, done: Any, timeout_s: float) -> Any:
        """Poll until ``done()`` answers something truthy; None after ``timeout_s``."""
        deadline = time.perf_counter() + timeout_s
        while (found := done()) is None or found is False:
            if time.perf_counter() > deadline:
                return None
            batch = await self.consumer.getmany(timeout_ms=20)
            now = time.perf_counter()
            for tp, records in batch.items():
                for r in records:
                    if r.value is None:
                        continue
                    value = orjson.loads(r.value)
                    self.seen.append((now, tp.topic, value, r.timestamp))
                    if tp.topic == self.topics.assignments:
                        self.orders[(value["incident_id"], value["unit_id"])] = value
        return found

    def since(self, mark: int, topic: str) -> list[tuple[float, dict[str, Any], int]]:
        """(when seen, value, timestamp) of the records of ``topic`` from ``mark`` on."""
        return [(t, v, stamp) for t, name, v, stamp in self.seen[mark:] if name == topic]


def _apart(city: City, rng: np.random.Generator, n: int, min_m: float) -> list[int]:
    """``n`` random road nodes at least ``min_m`` apart (so that no two calls are one
    emergency: fusion joins calls within a few hundred metres)."""
    lon, lat = city.roads.node_lonlats()
    x = np.asarray(lon) * 88_000.0  # metres per degree at Seoul's latitude (37.5°N)
    y = np.asarray(lat) * 111_000.0
    out: list[int] = []
    for node in rng.permutation(city.roads.node_count):
        if all(math.hypot(x[node] - x[o], y[node] - y[o]) >= min_m for o in out):
            out.append(int(node))
            if len(out) == n:
                break
    return out


def _crossed_by(
    orders: dict[tuple[str, str], dict[str, Any]],
    by_segment: dict[tuple[float, float, float, float], str],
) -> dict[str, list[tuple[str, str]]]:
    """Structure id → the orders (recommended or assigned) whose current route crosses it."""
    out: dict[str, list[tuple[str, str]]] = {}
    for key, value in orders.items():
        if value["status"] not in ("recommended", "assigned") or not value.get("route"):
            continue
        coords = value["route"].get("coordinates") or []
        hit = {
            by_segment[seg]
            for a, b in itertools.pairwise(coords)
            if (seg := (a[0], a[1], b[0], b[1])) in by_segment
        }
        for sid in hit:
            out.setdefault(sid, []).append(key)
    return out


async def _e2e(stack: Any, city: City, calls: int, closures: int) -> dict[str, Any]:
    """Closures through the real broker and worker (see the module's doc)."""
    from aiokafka import AIOKafkaProducer

    from console.actions import COMMAND_KEY
    from streams.contract import encode

    t = stack.topics
    found = structures(city)
    segments = {s.id: _segments(city, structure_edges(city, s)) for s in found}
    by_segment = {seg: sid for sid, segs in segments.items() for seg in segs}
    run_id = uuid.uuid4().hex[:6]
    watch = _Watch(stack.settings.kafka_bootstrap, t)
    producer = AIOKafkaProducer(bootstrap_servers=stack.settings.kafka_bootstrap, acks="all")
    await watch.start()
    await producer.start()
    to_record: list[float] = []
    record_to_routing: list[float] = []
    to_routing: list[float] = []
    unanswered: list[str] = []
    open_calls: list[float] = []
    closed_calls: list[float] = []
    measured: list[str] = []
    before_record = rerouted = cut_off = not_rerouted = through = refused = 0
    try:
        rng = np.random.default_rng(240)
        lon, lat = city.roads.node_lonlats()
        received = datetime.now(UTC).isoformat()
        spread = _apart(city, rng, calls + 2 * closures, 500.0)
        places = iter(spread[calls:])
        for n, node in enumerate(spread[:calls]):
            cid = f"bench-e2e-{run_id}-{n}"
            body = {
                "id": cid,
                "received_at": received,
                "location": {"lon": float(lon[node]), "lat": float(lat[node]), "accuracy_m": 30},
                "category": "cardiac_arrest",
                "patients": 1,
                "caller": {"phone": f"+82-10-{n:08d}"},
            }
            await producer.send(t.calls, orjson.dumps(body), key=cid.encode())
        await producer.flush()

        def incidents() -> int | None:
            got = len({k[0] for k in watch.orders})
            return got if got >= calls else None

        await watch.until(incidents, 30.0 + calls)  # every call dispatched (or time is up)
        dispatched = len({k[0] for k in watch.orders})

        async def one_call(n: int, blocked: set[tuple[float, float, float, float]]) -> int:
            """One call at a fresh place: its first recommendation's latency, and how many
            of its orders cross ``blocked``."""
            node = next(places)
            cid = f"bench-e2e-{run_id}-single-{n}"
            body = {
                "id": cid,
                "received_at": datetime.now(UTC).isoformat(),
                "location": {"lon": float(lon[node]), "lat": float(lat[node]), "accuracy_m": 30},
                "category": "cardiac_arrest",
                "patients": 1,
                "caller": {"phone": f"+82-10-9{n:07d}"},
            }
            known = {key[0] for key in watch.orders}
            mark = len(watch.seen)
            sent = time.perf_counter()
            await producer.send_and_wait(t.calls, orjson.dumps(body), key=cid.encode())

            def new(mark: int = mark) -> list[tuple[float, dict[str, Any], int]] | None:
                got = [
                    r for r in watch.since(mark, t.assignments) if r[1]["incident_id"] not in known
                ]
                return got or None

            got = await watch.until(new, 15.0)
            if got is None:  # none within 15 s: counted, never timed
                unanswered.append(cid)
                return 0
            (closed_calls if blocked else open_calls).append(got[0][0] - sent)
            return sum(_crosses(v, blocked) for _, v, _ in got)

        for n in range(closures):
            await one_call(n, set())
        for k in range(closures):
            crossed = _crossed_by(watch.orders, by_segment)
            options = sorted(
                ((len(v), sid) for sid, v in crossed.items() if sid not in measured), reverse=True
            )
            if not options:
                break
            sid = options[0][1]
            measured.append(sid)
            keys = set(crossed[sid])
            close = _closure_command(
                f"bench-e2e-{run_id}-close-{k}",
                CommandAction.CLOSE_STRUCTURE,
                sid,
                "bench: 통제 측정",
                datetime.now(UTC),
            )
            mark = len(watch.seen)
            sent = time.perf_counter()  # before the command is produced: an upper bound
            await producer.send_and_wait(t.commands, encode(close), key=COMMAND_KEY)

            def closed_at(cmd_id: str = close.id, mark: int = mark) -> tuple[float, int] | None:
                for _, v, _ in watch.since(mark, t.deadletter):
                    if v.get("event_id") == cmd_id:
                        raise RuntimeError(f"{cmd_id} refused: {v.get('error')}")
                for seen, v, stamp in watch.since(mark, t.road_closures):
                    if v.get("command_id") == cmd_id and v.get("state") == "closed":
                        return seen, stamp
                return None

            def answers(
                keys: set[tuple[str, str]] = keys, mark: int = mark
            ) -> dict[tuple[str, str], tuple[float, int, dict[str, Any]]]:
                out: dict[tuple[str, str], tuple[float, int, dict[str, Any]]] = {}
                for seen, v, stamp in watch.since(mark, t.assignments):
                    key = (v["incident_id"], v["unit_id"])
                    if key in keys and key not in out:
                        out[key] = (seen, stamp, v)
                return out

            def complete(keys: set[tuple[str, str]] = keys) -> bool | None:
                return (closed_at() is not None and len(answers()) == len(keys)) or None

            await watch.until(complete, 10.0)
            record = closed_at()
            got = answers()
            if record is None:
                refused += 1
                continue
            record_seen, _ = record
            to_record.append(record_seen - sent)
            not_rerouted += len(keys) - len(got)
            firsts = sorted(seen for seen, _, v in got.values() if v.get("route"))
            for _, _, v in got.values():
                rerouted += v.get("route") is not None
                cut_off += v.get("route") is None
                through += _crosses(v, segments[sid])
            if firsts:
                first = firsts[0]
                before_record += first < record_seen
                record_to_routing.append(max(0.0, first - record_seen))
                to_routing.append(first - sent)
            through += await one_call(closures + k, segments[sid])
            reopen = _closure_command(
                f"bench-e2e-{run_id}-reopen-{k}",
                CommandAction.REOPEN_STRUCTURE,
                sid,
                "bench: 통제 해제",
                datetime.now(UTC),
            )
            mark = len(watch.seen)
            await producer.send_and_wait(t.commands, encode(reopen), key=COMMAND_KEY)

            def opened(cmd_id: str = reopen.id, mark: int = mark) -> bool | None:
                return (
                    any(
                        v.get("command_id") == cmd_id
                        for _, v, _ in watch.since(mark, t.road_closures)
                    )
                    or None
                )

            if not await watch.until(opened, 15.0):
                raise RuntimeError(f"{sid} not reopened within 15 s")
    finally:
        await producer.stop()
        await watch.consumer.stop()
    return {
        "e2e_calls": calls,
        "e2e_incidents_dispatched": dispatched,
        "e2e_closures_measured": len(to_record),
        "e2e_structures_closed": measured,
        "e2e_command_to_closure_record_p50_ms": _ms(to_record, 50),
        "e2e_command_to_closure_record_p99_ms": _ms(to_record, 99),
        "e2e_command_to_closure_record_first_ms": _ms(to_record[:1], 50),
        "e2e_closure_to_routing_p50_ms": _ms(record_to_routing, 50),
        "e2e_closure_to_routing_p99_ms": _ms(record_to_routing, 99),
        "e2e_calls_unanswered": len(unanswered),
        "e2e_call_to_recommendation_closed_p50_ms": _ms(closed_calls, 50),
        "e2e_call_to_recommendation_closed_p99_ms": _ms(closed_calls, 99),
        "e2e_call_to_recommendation_closed_first_ms": _ms(closed_calls[:1], 50),
        "e2e_baseline": {
            "name": "a call's first recommendation on the same worker with nothing closed "
            "(one call at a time, before the closures)",
            "calls": len(open_calls),
            "call_to_recommendation_p50_ms": _ms(open_calls, 50),
            "call_to_recommendation_p99_ms": _ms(open_calls, 99),
            "call_to_recommendation_first_ms": _ms(open_calls[:1], 50),
        },
        "e2e_command_to_routing_p50_ms": _ms(to_routing, 50),
        "e2e_command_to_routing_p99_ms": _ms(to_routing, 99),
        "e2e_routing_samples": len(to_routing),
        "e2e_routing_before_record": before_record,
        "e2e_orders_rerouted": rerouted,
        "e2e_orders_cut_off": cut_off,
        "e2e_orders_not_rerouted": not_rerouted,
        "e2e_closures_without_record": refused,
        "e2e_through_closed": through,
    }


def run_e2e(data_dir: Path | None, city: City, calls: int, closures: int) -> dict[str, Any]:
    """The end-to-end figures, on a broker, cache and worker of their own."""
    import asyncio

    from bench.stackrun import BenchStack

    with BenchStack(data_dir) as stack:
        return asyncio.run(_e2e(stack, city, calls, closures))


def main(argv: list[str] | None = None) -> int:
    """Entry point: parse arguments, run, print one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer closures (< 60 s)")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(os.environ.get("GT_DATA_DIR", DEFAULT_SEOUL_DATA)),
    )
    args = parser.parse_args(argv)
    emergencies, closures, baselines = (40, 10, 3) if args.quick else (120, 40, 10)
    # ASSUMPTION: 60 + 2 x 30 emergencies at once stay within Seoul's fleet (one ambulance
    # and one engine or so per 119 centre); past it calls wait for a unit and are not timed.
    e2e_calls, e2e_closures = (12, 4) if args.quick else (60, 30)
    started = time.perf_counter()
    city = load_city(args.data_dir)
    out = {
        "city": city.name,
        "quick": args.quick,
        **run(city, emergencies, closures, baselines),
        **run_e2e(args.data_dir, city, e2e_calls, e2e_closures),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "elapsed_s": 0.0,
    }
    out["elapsed_s"] = round(time.perf_counter() - started, 1)
    print(json.dumps(out, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
