"""Routing on the road graph: exact times, routes, snapping, coverage and isochrones."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import shape

from geo import City, InvalidCoordinatesError, RoadGraph, build_overlay, hazard_zone
from geo.errors import UnknownNodeError
from tests.geo.geo_samples import square_graph


def to_networkx(graph: RoadGraph) -> nx.DiGraph:
    """The oracle: the same edges in a networkx DiGraph."""
    src, dst, time_s, _ = graph.edge_arrays()
    g = nx.DiGraph()
    g.add_nodes_from(range(graph.node_count))
    g.add_weighted_edges_from(zip(src.tolist(), dst.tolist(), time_s.tolist(), strict=True))
    return g


def test_square_times_respect_one_way() -> None:
    graph, _ = square_graph()
    a, b, c, d = (graph.node_index(n) for n in "ABCD")
    assert a is not None and b is not None and c is not None and d is not None
    from_a = graph.times_from(a)
    assert from_a[c] == pytest.approx(22.0)  # A->B->C beats the slow diagonal (30 s)
    assert from_a[d] == pytest.approx(30.0)  # A->D is one-way the other way: A->B->C->D
    to_a = graph.times_to(a)
    assert to_a[d] == pytest.approx(9.0)  # D->A directly
    assert to_a[c] == pytest.approx(17.0)


def test_square_route_geometry_and_steps() -> None:
    graph, _ = square_graph()
    a, d = graph.node_index("A"), graph.node_index("D")
    assert a is not None and d is not None
    route = graph.route(a, d)
    assert route is not None
    assert [graph.node_id(n) for n in route.nodes] == ["A", "B", "C", "D"]
    assert route.eta_s == pytest.approx(30.0)
    assert route.distance_m == pytest.approx(300.0)
    assert [s.street for s in route.steps] == ["남대문로", "세종대로", "을지로"]
    assert route.geometry["type"] == "LineString"
    assert route.geometry["coordinates"][0] == list(graph.node_lonlat(a))


def test_horizon_limits_the_search() -> None:
    graph, _ = square_graph()
    a = graph.node_index("A")
    assert a is not None
    times = graph.times_from(a, horizon_s=15.0)
    assert np.isfinite(times).sum() == 2  # A itself and B (10 s)
    assert np.isinf(times).sum() == 2


def test_unknown_node_raises() -> None:
    graph, _ = square_graph()
    with pytest.raises(UnknownNodeError):
        graph.times_to(graph.node_count, 10.0)
    with pytest.raises(UnknownNodeError):
        graph.node_lonlat(-1)


def test_times_to_matches_networkx_on_builtin(builtin: City) -> None:
    graph = builtin.roads
    oracle = to_networkx(graph).reverse(copy=True)
    rng = np.random.default_rng(3)
    for target in rng.integers(0, graph.node_count, 8):
        ours = graph.times_to(int(target), horizon_s=600.0)
        theirs = nx.single_source_dijkstra_path_length(
            oracle, int(target), cutoff=600.0, weight="weight"
        )
        reached = np.flatnonzero(np.isfinite(ours))
        assert set(reached.tolist()) == set(theirs)
        for node, t in theirs.items():
            assert abs(ours[node] - t) <= 1e-6


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_route_time_is_the_sum_of_its_edges(builtin: City, data: st.DataObject) -> None:
    graph = builtin.roads
    s = data.draw(st.integers(0, graph.node_count - 1), label="source")
    t = data.draw(st.integers(0, graph.node_count - 1), label="target")
    route = graph.route(s, t)
    assert route is not None  # strongly connected
    pairs = list(zip(route.nodes, route.nodes[1:], strict=False))
    assert route.nodes[0] == s and route.nodes[-1] == t
    assert route.eta_s == pytest.approx(sum(graph.edge_time_s(u, v) for u, v in pairs), abs=1e-9)
    assert route.eta_s == pytest.approx(graph.times_from(s)[t], abs=1e-6)
    assert route.eta_s == pytest.approx(graph.times_to(t)[s], abs=1e-6)
    assert sum(step.eta_s for step in route.steps) == pytest.approx(route.eta_s)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(fx=st.floats(0.0, 1.0), fy=st.floats(0.0, 1.0))
def test_snapping_is_idempotent(builtin: City, fx: float, fy: float) -> None:
    min_lon, min_lat, max_lon, max_lat = builtin.bbox
    lon, lat = min_lon + fx * (max_lon - min_lon), min_lat + fy * (max_lat - min_lat)
    first = builtin.roads.snap(lon, lat)
    again = builtin.roads.snap(first.lon, first.lat)
    assert again.node == first.node
    assert again.distance_m == pytest.approx(0.0, abs=1e-6)
    assert first.distance_m >= 0.0


def test_snap_many_agrees_with_snap(builtin: City) -> None:
    rng = np.random.default_rng(5)
    min_lon, min_lat, max_lon, max_lat = builtin.bbox
    lons = rng.uniform(min_lon, max_lon, 50)
    lats = rng.uniform(min_lat, max_lat, 50)
    nodes, dist = builtin.roads.snap_many(lons, lats)
    for lon, lat, n, d in zip(lons, lats, nodes, dist, strict=True):
        one = builtin.roads.snap(float(lon), float(lat))
        assert one.node == n
        assert one.distance_m == pytest.approx(d)


def test_coverage_grows_with_time(builtin: City) -> None:
    graph = builtin.roads
    sources = [graph.snap(s.lon, s.lat).node for s in builtin.stations[:2]]
    shares = [graph.coverage(sources, t) for t in (0.0, 30.0, 60.0, 120.0, 240.0, 1e6)]
    assert shares == sorted(shares)
    assert shares[0] == 0.0
    assert 0.0 < shares[2] < 1.0
    assert shares[-1] == pytest.approx(1.0)
    assert graph.coverage([], 100.0) == 0.0


def test_isochrone_contains_source_and_grows(builtin: City) -> None:
    graph = builtin.roads
    source = graph.snap(126.978, 37.5665).node
    small = shape(graph.isochrone(source, 60.0))
    large = shape(graph.isochrone(source, 180.0))
    assert small.geom_type == "Polygon"
    assert small.contains(shapely.Point(graph.node_lonlat(source)))
    assert large.area > small.area
    # a node far beyond the horizon is outside the small isochrone
    times = graph.times_from(source)
    far = int(np.argmax(times))
    assert not small.contains(shapely.Point(graph.node_lonlat(far)))


def test_edge_snap_on_the_square() -> None:
    graph, _ = square_graph()
    a, b = graph.node_index("A"), graph.node_index("B")
    assert a is not None and b is not None
    (alon, alat), (blon, _) = graph.node_lonlat(a), graph.node_lonlat(b)
    # a point 20 m south of the middle of A-B (a two-way street): both directions, f = 0.5
    mid_lon = (alon + blon) / 2
    snap = graph.snap_edge(mid_lon, alat - 20 / 111_000)
    assert {(u, v) for u, v, _ in snap.edges} == {(a, b), (b, a)}
    assert all(f == pytest.approx(0.5, abs=0.02) for _, _, f in snap.edges)
    assert snap.distance_m == pytest.approx(20.0, rel=0.05)
    times = graph.times_to(a)
    # from the middle of A-B the fastest way to A is back along B->A: half of 10 s
    assert graph.time_from_edge_snap(snap, times) == pytest.approx(5.0, abs=0.3)


@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(fx=st.floats(0.0, 1.0), fy=st.floats(0.0, 1.0))
def test_edge_snap_is_never_further_than_node_snap(builtin: City, fx: float, fy: float) -> None:
    min_lon, min_lat, max_lon, max_lat = builtin.bbox
    lon, lat = min_lon + fx * (max_lon - min_lon), min_lat + fy * (max_lat - min_lat)
    on_edge = builtin.roads.snap_edge(lon, lat)
    assert on_edge.distance_m <= builtin.roads.snap(lon, lat).distance_m + 1e-6
    assert on_edge.edges and all(0.0 <= f <= 1.0 for _, _, f in on_edge.edges)
    again = builtin.roads.snap_edge(on_edge.lon, on_edge.lat)  # idempotent
    assert again.distance_m == pytest.approx(0.0, abs=1e-3)


@pytest.mark.parametrize(
    ("lon", "lat"), [(float("nan"), 37.5), (126.9, float("inf")), (200.0, 37.5), (126.9, -91.0)]
)
def test_bad_coordinates_are_refused(builtin: City, lon: float, lat: float) -> None:
    with pytest.raises(InvalidCoordinatesError):
        builtin.roads.snap(lon, lat)
    with pytest.raises(InvalidCoordinatesError):
        build_overlay(builtin, "fire", lon, lat)
    with pytest.raises(ValueError):  # InvalidCoordinatesError is a ValueError too
        hazard_zone("fire", lon, lat)
    if not (np.isfinite(lon) and np.isfinite(lat)):
        with pytest.raises(InvalidCoordinatesError):
            builtin.roads.snap_many(np.array([lon]), np.array([lat]))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(1e-3, 5_000.0), min_size=1, max_size=60), st.randoms())
def test_quantized_edge_times_sum_exactly_in_any_order(times: list[float], rnd: object) -> None:
    from geo.roads import TIME_QUANTUM_S, quantize_time_s

    q = quantize_time_s(np.array(times)).tolist()
    assert all(abs(a - b) <= TIME_QUANTUM_S / 2 for a, b in zip(q, times, strict=True))
    forward = 0.0
    for t in q:
        forward += t
    shuffled = list(q)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    other = 0.0
    for t in shuffled:
        other += t
    assert forward == other == sum(reversed(q))


def test_forward_and_reverse_searches_agree_bit_for_bit() -> None:
    from geo import load_city

    g = load_city(None).roads
    sources = list(range(0, g.node_count, 101))
    rows = g.times_from_many(sources)
    for target in range(0, g.node_count, 89):
        assert np.array_equal(g.times_to(target)[sources], rows[:, target])


def test_route_on_tree_matches_route_and_refuses_off_tree() -> None:
    from geo import load_city

    g = load_city(None).roads
    times, pred = g.trees_from_many([3])
    for target in (0, 50, 700):
        assert g.route_on_tree(3, target, pred[0]) == g.route(3, target)
        assert g.route_on_tree(3, target, pred[0]).eta_s == times[0, target]  # type: ignore[union-attr]
    cut = pred[0].copy()
    cut[700] = -9999
    assert g.route_on_tree(3, 700, cut) is None
