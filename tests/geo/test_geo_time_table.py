"""The station time table gives the same exact times as a reverse search."""

from __future__ import annotations

import numpy as np
import pytest

from geo import City
from geo.time_table import TimeTable, unit_times_to
from tests.geo.geo_samples import square_graph


def test_table_equals_search_on_builtin(builtin: City) -> None:
    table = builtin.station_table
    assert table is not None
    units = np.repeat(builtin.station_nodes, [len(s.units) for s in builtin.stations])
    assert table.covers(units)
    for target in range(0, builtin.roads.node_count, 97):
        for horizon in (60.0, 300.0, np.inf):
            looked_up = builtin.unit_times_to(target, units, horizon)
            searched = builtin.roads.times_to(target, horizon)[units]
            assert np.array_equal(np.isinf(looked_up), np.isinf(searched))
            finite = np.isfinite(searched)
            assert np.allclose(looked_up[finite], searched[finite], rtol=0, atol=1e-9)


def test_units_away_from_stations_fall_back_to_search(builtin: City) -> None:
    table = builtin.station_table
    assert table is not None
    free = next(n for n in range(builtin.roads.node_count) if n not in set(table.anchors.tolist()))
    nodes = np.array([builtin.station_nodes[0], free])
    assert not table.covers(nodes)
    target = 5
    expected = builtin.roads.times_to(target)[nodes]
    assert np.allclose(builtin.unit_times_to(target, nodes), expected)


def test_table_on_square_sample() -> None:
    graph, _ = square_graph()
    a, d = graph.node_index("A"), graph.node_index("D")
    assert a is not None and d is not None
    table = TimeTable(graph, [a])
    assert table.nbytes == graph.node_count * 8
    assert unit_times_to(graph, d, [a], table=table)[0] == pytest.approx(30.0)
    assert np.isinf(unit_times_to(graph, d, [a], horizon_s=20.0, table=table)[0])
    assert TimeTable.fits(graph, 10)
