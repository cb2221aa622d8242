"""Routing benchmark: one-to-many travel times on the Seoul graph and a 100k-node grid city.

Prints ONE JSON object. Per graph (Seoul or the built-in city, then grid_*):
- one_to_many_p50/p99_ms: incident -> travel time of every unit within the horizon, by
  the production path (City.unit_times_to: the station table while units are at their
  stations; the grid city has none, so there it is one reverse search);
- search_one_to_many_p50/p99_ms: one reverse search (RoadGraph.times_to) per incident;
- route_p50_ms: one-to-one route with geometry and steps;
- networkx_ratio / search_networkx_ratio: networkx single-source Dijkstra on the reversed
  graph with the same cutoff, same queries, same run, divided by ours;
- mismatches: queries where any unit time or any reached node's time differs from
  networkx by more than 1e-6 s (or the reached sets differ).

    python -m bench.routing [--quick] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
from numpy.typing import NDArray

from geo import RoadGraph, load_city
from geo.grid import grid_road_graph
from geo.load import has_seoul_data
from stack.settings import DEFAULT_SEOUL_DATA

HORIZON_S = 840.0  # 2 x the 7-minute fire golden time
TOLERANCE_S = 1e-6


def _ms(samples: list[float], q: float) -> float:
    return round(float(np.percentile(np.array(samples) * 1000.0, q)), 4)


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def measure(
    graph: RoadGraph,
    unit_nodes: NDArray[np.int64],
    unit_times: Callable[[int], NDArray[np.float64]],
    queries: int,
    nx_queries: int,
    seed: int,
) -> dict[str, Any]:
    """Timings and exactness of one graph.

    one_to_many: ``unit_times(incident_node)``, the production path (times of every unit).
    search_one_to_many: ``graph.times_to`` alone, one reverse search to every node.
    """
    rng = np.random.default_rng(seed)
    targets = [
        int(t) for t in rng.choice(graph.node_count, queries, replace=queries > graph.node_count)
    ]
    unit_times(targets[0])  # warm-up (builds a station table if the path has one)
    graph.times_to(targets[0], HORIZON_S)
    one_to_many: list[float] = []
    search: list[float] = []
    ours_units: dict[int, NDArray[np.float64]] = {}
    ours_all: dict[int, NDArray[np.float64]] = {}
    for k, target in enumerate(targets):
        start = time.perf_counter()
        times = unit_times(target)
        one_to_many.append(time.perf_counter() - start)
        start = time.perf_counter()
        graph.times_to(target, HORIZON_S)[unit_nodes]
        search.append(time.perf_counter() - start)
        if k < nx_queries:
            ours_units[target] = times
            ours_all[target] = graph.times_to(target, HORIZON_S)
    route_samples: list[float] = []
    sources = rng.choice(unit_nodes, min(queries, 200))
    for source, target in zip(sources, targets, strict=False):
        start = time.perf_counter()
        graph.route(int(source), target)
        route_samples.append(time.perf_counter() - start)
    src, dst, time_s, _ = graph.edge_arrays()
    oracle = nx.DiGraph()  # the reversed graph: one search from the incident reaches all units
    oracle.add_nodes_from(range(graph.node_count))
    oracle.add_weighted_edges_from(zip(dst.tolist(), src.tolist(), time_s.tolist(), strict=True))
    nx_samples: list[float] = []
    mismatches = 0
    for target in ours_units:
        start = time.perf_counter()
        theirs = nx.single_source_dijkstra_path_length(oracle, target, cutoff=HORIZON_S)
        nx_samples.append(time.perf_counter() - start)
        expected = np.array([theirs.get(int(n), np.inf) for n in unit_nodes])
        full = ours_all[target]
        got = ours_units[target]
        finite = np.isfinite(expected)
        same_units = np.array_equal(finite, np.isfinite(got)) and bool(
            np.all(np.abs(expected[finite] - got[finite]) <= TOLERANCE_S)
        )
        same_all = set(np.flatnonzero(np.isfinite(full)).tolist()) == set(theirs) and all(
            abs(full[n] - v) <= TOLERANCE_S for n, v in theirs.items()
        )
        mismatches += int(not (same_units and same_all))
    n_nx = len(nx_samples)
    return {
        "graph_nodes": graph.node_count,
        "graph_edges": graph.edge_count,
        "units": len(unit_nodes),
        "queries": queries,
        "one_to_many_p50_ms": _ms(one_to_many, 50),
        "one_to_many_p99_ms": _ms(one_to_many, 99),
        "search_one_to_many_p50_ms": _ms(search, 50),
        "search_one_to_many_p99_ms": _ms(search, 99),
        "route_p50_ms": _ms(route_samples, 50),
        "networkx_queries": n_nx,
        "networkx_p50_ms": _ms(nx_samples, 50),
        "networkx_ratio": round(float(np.median(nx_samples) / np.median(one_to_many[:n_nx])), 1),
        "search_networkx_ratio": round(float(np.median(nx_samples) / np.median(search[:n_nx])), 1),
        "mismatches": mismatches,
    }


def main(argv: list[str] | None = None) -> int:
    """Entry point: parse arguments, run both graphs, print one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer queries (< 60 s)")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(os.environ.get("GT_DATA_DIR", DEFAULT_SEOUL_DATA)),
    )
    args = parser.parse_args(argv)
    queries, nx_queries, grid_nx = (300, 50, 8) if args.quick else (2000, 200, 30)
    started = time.perf_counter()
    load_s, city = _timed(lambda: load_city(args.data_dir))
    # start of day: every seeded unit waits at its station
    units = np.repeat(city.station_nodes, [len(s.units) for s in city.stations])
    table_s, _ = _timed(lambda: city.station_table)
    out: dict[str, Any] = {
        "city": city.name,
        "seoul_data": has_seoul_data(args.data_dir),
        "horizon_s": HORIZON_S,
        "city_load_s": round(load_s, 3),
        "station_table_build_s": round(table_s, 3),
        **measure(
            city.roads,
            units,
            lambda t: city.unit_times_to(t, units, HORIZON_S),
            queries,
            nx_queries,
            seed=1,
        ),
    }
    grid_build_s, (grid, _) = _timed(lambda: grid_road_graph(317, 317, spacing_m=100.0))
    grid_units = np.random.default_rng(2).integers(0, grid.node_count, 400)
    # the grid has no station table: every query is one reverse search
    grid_result = measure(
        grid,
        grid_units,
        lambda t: grid.times_to(t, HORIZON_S)[grid_units],
        queries,
        grid_nx,
        seed=3,
    )
    out["grid_build_s"] = round(grid_build_s, 3)
    out.update({f"grid_{k}": v for k, v in grid_result.items()})
    out["total_s"] = round(time.perf_counter() - started, 1)
    out["machine"] = (
        f"{platform.machine()} {os.cpu_count()} cpu, python {platform.python_version()}"
    )
    out["note"] = "timings on a shared 2-core machine while other jobs run: noisy"
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
