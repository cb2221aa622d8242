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

    python -m bench.closures [--quick] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import time
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


def _command(n: int, action: CommandAction, structure: Structure) -> dict[str, Any]:
    cmd = Command(
        id=f"bench-cmd-{n}",
        at=NOW,
        action=action,
        by="bench",
        role="dispatcher",
        structure_id=structure.id,
        reason="bench",
    )
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


def main(argv: list[str] | None = None) -> int:
    """Entry point: parse arguments, run, print one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer closures (< 60 s)")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(
            os.environ.get(
                "GT_DATA_DIR", Path(__file__).resolve().parents[2] / "shared" / "data" / "seoul"
            )
        ),
    )
    args = parser.parse_args(argv)
    emergencies, closures, baselines = (40, 10, 3) if args.quick else (120, 40, 10)
    started = time.perf_counter()
    city = load_city(args.data_dir)
    out = {
        "city": city.name,
        "quick": args.quick,
        **run(city, emergencies, closures, baselines),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "elapsed_s": 0.0,
    }
    out["elapsed_s"] = round(time.perf_counter() - started, 1)
    print(json.dumps(out, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
