"""The closures benchmark runs the dispatch stage's code end to end on the grid city and
reports the figures it promises (timings are printed, never asserted)."""

from __future__ import annotations

from bench.closures import run
from geo import load_city


def test_closures_bench_reports_its_figures_and_no_route_through_a_closure() -> None:
    out = run(load_city(None), emergencies=12, closures=2, baselines=1)
    assert out["structures"] == 4
    for key in ("closure_to_routing_p99_ms", "reroute_p99_ms", "without_edges_p50_ms"):
        assert key in out
    assert out["baseline"]["name"].startswith("full graph rebuild")
    assert out["through_closed"] == 0
