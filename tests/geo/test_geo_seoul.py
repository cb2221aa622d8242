"""The Seoul city from ../shared/data/seoul (skipped with a reason when the data is absent)."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from geo import City, build_overlay, cameras_seeing
from tests.geo.geo_seoul_data import needs_seoul
from tests.geo.test_geo_roads import to_networkx

pytestmark = needs_seoul

SEOUL_CITY_HALL = (126.9780, 37.5665)
GANGNAM_STATION = (127.0276, 37.4979)


def test_seoul_counts_match_sources(seoul: City) -> None:
    report = seoul.report
    links = report.file("seoul_nodelink_links.csv")
    assert links is not None and dict(links.skipped)["endpoint not in node file"] == 307
    assert seoul.roads.node_count == 7317  # largest SCC, as SOURCES.md states
    assert report.nodes_dropped_scc == 7405 - 7317
    assert report.parallel_edges_merged > 0
    assert len(seoul.stations) == 177
    assert len(seoul.districts) == 25
    water = report.file("songpa_fire_water_facilities.csv")
    assert water is not None and dict(water.skipped)["suspect coordinates (suspect_coord)"] == 83


def test_seoul_units_seeded_by_station_type(seoul: City) -> None:
    centre = next(s for s in seoul.stations if s.kind == "safety_center_119")
    assert [u.kind for u in centre.units] == ["engine", "ambulance"]
    assert centre.units[0].unit_id == f"E-{centre.id}-1"
    hq = next(s for s in seoul.stations if s.kind == "fire_station_hq")
    assert {"engine", "ladder", "ambulance", "command"} <= {u.kind for u in hq.units}
    ids = [u.unit_id for s in seoul.stations for u in s.units]
    assert len(ids) == len(set(ids))


def test_city_hall_is_in_jung_gu(seoul: City) -> None:
    gu = seoul.district_at(*SEOUL_CITY_HALL)
    assert gu is not None and gu.name == "중구" and gu.code == "11140"
    assert seoul.dong_at(*SEOUL_CITY_HALL) is not None
    assert seoul.district_at(126.5, 37.5) is None


def test_seoul_times_match_networkx(seoul: City) -> None:
    graph = seoul.roads
    oracle = to_networkx(graph).reverse(copy=True)
    rng = np.random.default_rng(11)
    for target in rng.integers(0, graph.node_count, 5):
        ours = graph.times_to(int(target), 900.0)
        theirs = nx.single_source_dijkstra_path_length(oracle, int(target), cutoff=900.0)
        assert set(np.flatnonzero(np.isfinite(ours)).tolist()) == set(theirs)
        assert max(abs(ours[n] - t) for n, t in theirs.items()) <= 1e-6


def test_seoul_route_uses_only_directed_links(seoul: City) -> None:
    graph = seoul.roads
    a = graph.snap(*SEOUL_CITY_HALL).node
    b = graph.snap(*GANGNAM_STATION).node
    route = graph.route(a, b)
    assert route is not None
    assert 6_000 < route.distance_m < 20_000
    assert 300 < route.eta_s < 2400
    for u, v in zip(route.nodes, route.nodes[1:], strict=False):
        graph.edge_time_s(u, v)  # raises KeyError if we drove against a one-way link
    assert any(step.street for step in route.steps)


def test_seoul_overlay_in_gangnam(seoul: City) -> None:
    overlay = build_overlay(seoul, "fire", *GANGNAM_STATION)
    assert overlay.cameras, "강남구 has CCTV data"
    near = cameras_seeing(seoul, *GANGNAM_STATION, max_distance_m=200, limit=50)
    assert near and all(v.distance_m <= 200 for v in near)
    assert {v.camera.district for v in near} <= {"11680", "11650"}  # 강남구 (서초구 border)


@pytest.mark.parametrize("kind", ["hydrant", "emergency_fire_device"])
def test_seoul_hydrant_layers(seoul: City, kind: str) -> None:
    assert any(h.kind == kind for h in seoul.hydrants)
