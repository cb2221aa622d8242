"""The closures benchmark runs the dispatch stage's code end to end on the grid city and
reports the figures it promises, and ``python -m bench.closures --quick`` measures closures
through the real broker and a real worker on Seoul (timings are printed, never asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.closures import run
from geo import load_city

REPO = Path(__file__).resolve().parents[2]


def test_closures_bench_reports_its_figures_and_no_route_through_a_closure() -> None:
    out = run(load_city(None), emergencies=12, closures=2, baselines=1)
    assert out["structures"] == 4
    for key in ("closure_to_routing_p99_ms", "reroute_p99_ms", "without_edges_p50_ms"):
        assert key in out
    assert out["baseline"]["name"].startswith("full graph rebuild")
    assert out["through_closed"] == 0


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.timeout(240)
def test_quick_closures_bench_measures_closures_through_broker_and_worker() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.closures", "--quick", "--data-dir", "geo/data/seoul"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=220,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    assert len(lines) == 1  # one JSON object, nothing else on stdout
    out = json.loads(lines[0])
    for key in (
        "closure_to_routing_p99_ms",
        "reroute_p99_ms",
        "e2e_command_to_closure_record_p50_ms",
        "e2e_command_to_closure_record_p99_ms",
        "e2e_closure_to_routing_p50_ms",
        "e2e_closure_to_routing_p99_ms",
        "e2e_command_to_routing_p99_ms",
        "e2e_call_to_recommendation_closed_p99_ms",
    ):
        assert isinstance(out[key], float), key
    assert out["e2e_baseline"]["name"].startswith("a call's first recommendation")
    # structures on real recommended routes were closed, each record came back, and every
    # order that crossed one got a new record, none of them (nor a later call's) across it
    assert out["e2e_closures_measured"] >= 1
    assert out["e2e_closures_measured"] == len(out["e2e_structures_closed"])
    assert out["e2e_routing_samples"] + out["e2e_orders_cut_off"] >= 1
    assert out["e2e_orders_not_rerouted"] == 0
    assert out["e2e_closures_without_record"] == 0
    assert out["e2e_incidents_dispatched"] == out["e2e_calls"]
    assert out["e2e_calls_unanswered"] == 0
    assert out["e2e_through_closed"] == 0
