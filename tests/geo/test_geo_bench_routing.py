"""The routing benchmark's measurement agrees with networkx on the built-in city."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bench.routing import HORIZON_S, main, measure
from geo import City


def test_measure_on_builtin_has_no_mismatch(builtin: City) -> None:
    units = np.repeat(builtin.station_nodes, [len(s.units) for s in builtin.stations])
    result = measure(
        builtin.roads,
        units,
        lambda t: builtin.unit_times_to(t, units, HORIZON_S),
        queries=20,
        nx_queries=5,
        seed=4,
    )
    assert result["mismatches"] == 0
    assert result["graph_nodes"] == builtin.roads.node_count
    assert result["networkx_queries"] == 5
    assert result["one_to_many_p50_ms"] > 0


@pytest.mark.slow
def test_quick_benchmark_prints_one_json_object(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--quick", "--data-dir", "/nonexistent"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["city"] == "builtin-demo" and out["seoul_data"] is False
    for key in ("graph_nodes", "one_to_many_p50_ms", "networkx_ratio", "mismatches"):
        assert key in out and f"grid_{key}" in out
    assert out["mismatches"] == 0 and out["grid_mismatches"] == 0
