"""Building the road graph: parallel links, SCC restriction, report of what was dropped."""

from __future__ import annotations

import numpy as np
import pytest

from geo.errors import CityDataError
from geo.graph_build import build_road_graph
from geo.projection import KOREA_CRS
from tests.geo.geo_samples import square_graph


def test_square_keeps_the_strongly_connected_part() -> None:
    graph, cleaning = square_graph()
    assert graph.node_count == 4
    assert graph.node_index("E") is None
    assert cleaning.nodes_dropped_scc == 1
    assert cleaning.edges_dropped_scc == 1


def test_parallel_links_reduced_to_the_fastest() -> None:
    graph, cleaning = square_graph()
    a, b = graph.node_index("A"), graph.node_index("B")
    assert a is not None and b is not None
    assert cleaning.parallel_edges_merged == 1
    assert graph.edge_time_s(a, b) == 10.0
    assert graph.edge_count == 8


def test_one_way_link_has_no_reverse() -> None:
    graph, _ = square_graph()
    a, d = graph.node_index("A"), graph.node_index("D")
    assert a is not None and d is not None
    assert graph.edge_time_s(d, a) == 9.0
    with pytest.raises(KeyError):
        graph.edge_time_s(a, d)


def test_self_loops_are_dropped_and_counted() -> None:
    graph, cleaning = build_road_graph(
        node_ids=["x", "y"],
        lon=np.array([127.0, 127.001]),
        lat=np.array([37.5, 37.5]),
        src=[0, 1, 0],
        dst=[1, 0, 0],
        length_m=[90.0, 90.0, 5.0],
        time_s=[9.0, 9.0, 1.0],
        streets=["a", "a", "loop"],
        crs=KOREA_CRS,
    )
    assert cleaning.self_loops_dropped == 1
    assert graph.edge_count == 2


def test_no_links_is_an_error() -> None:
    with pytest.raises(CityDataError):
        build_road_graph(
            node_ids=["x"],
            lon=np.array([127.0]),
            lat=np.array([37.5]),
            src=[],
            dst=[],
            length_m=[],
            time_s=[],
            streets=[],
            crs=KOREA_CRS,
        )


def test_zero_time_links_stay_edges() -> None:
    """csgraph reads an explicit 0 as no edge: zero times are clamped to a tiny positive."""
    graph, _ = build_road_graph(
        node_ids=["x", "y"],
        lon=np.array([127.0, 127.0]),
        lat=np.array([37.5, 37.5]),
        src=[0, 1],
        dst=[1, 0],
        length_m=[0.0, 0.0],
        time_s=[0.0, 0.0],
        streets=["", ""],
        crs=KOREA_CRS,
    )
    assert np.isfinite(graph.times_from(0)[1])
