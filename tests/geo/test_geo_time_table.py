"""The station time table gives the same exact times as a reverse search."""

from __future__ import annotations

import numpy as np
import pytest

from geo import City
from geo.time_table import BYTES_PER_ENTRY, TimeTable, unit_times_to
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
    assert table.nbytes == graph.node_count * BYTES_PER_ENTRY
    assert unit_times_to(graph, d, [a], table=table)[0] == pytest.approx(30.0)
    assert np.isinf(unit_times_to(graph, d, [a], horizon_s=20.0, table=table)[0])
    assert TimeTable.fits(graph, 10)


def _routes_agree(city: City, targets: range) -> int:
    table = city.station_table
    assert table is not None
    checked = 0
    for target in targets:
        for anchor in table.anchors.tolist():
            walked = table.route(anchor, target)
            searched = city.roads.route(anchor, target)
            assert walked == searched  # nodes, ETA, distance, GeoJSON geometry, steps
            assert walked is not None
            assert walked.eta_s == table.times_to(target, np.array([anchor]))[0]
            checked += 1
    return checked


def test_table_routes_equal_searched_routes_on_builtin(builtin: City) -> None:
    assert _routes_agree(builtin, range(0, builtin.roads.node_count, 61)) > 100


def test_table_routes_equal_searched_routes_on_seoul(seoul: City) -> None:
    assert _routes_agree(seoul, range(0, seoul.roads.node_count, 997)) > 500


def test_table_times_are_bit_identical_to_searches(builtin: City) -> None:
    table = builtin.station_table
    assert table is not None
    for target in range(0, builtin.roads.node_count, 53):
        searched = builtin.roads.times_to(target)[table.anchors]
        assert np.array_equal(table.times_to(target, table.anchors), searched)
    for anchor in table.anchors.tolist():
        assert np.array_equal(table.times_from(anchor), builtin.roads.times_from(anchor))


def test_route_of_a_non_anchor_is_refused(builtin: City) -> None:
    table = builtin.station_table
    assert table is not None
    free = next(n for n in range(builtin.roads.node_count) if not table.is_anchor(n))
    with pytest.raises(KeyError):
        table.route(free, 0)
    with pytest.raises(KeyError):
        table.times_from(free)
    anchor = int(table.anchors[0])
    assert table.route(anchor, anchor) == builtin.roads.route(anchor, anchor)


def test_mixed_units_use_table_and_one_search(builtin: City) -> None:
    table = builtin.station_table
    assert table is not None
    free = next(n for n in range(builtin.roads.node_count) if not table.is_anchor(n))
    nodes = np.array([int(table.anchors[0]), free, int(table.anchors[-1])])
    for target in (0, 7, 500):
        expected = builtin.roads.times_to(target)[nodes]
        assert np.array_equal(builtin.unit_times_to(target, nodes), expected)


def test_route_without_steps_has_the_same_line(builtin: City) -> None:
    table = builtin.station_table
    assert table is not None
    anchor = int(table.anchors[1])
    for target in (0, 300, 1200):
        full = builtin.roads.route(anchor, target)
        light = table.route(anchor, target, steps=False)
        assert full is not None and light is not None
        assert light.steps == ()
        assert (light.geometry, light.distance_m, light.eta_s, light.nodes) == (
            full.geometry,
            full.distance_m,
            full.eta_s,
            full.nodes,
        )
