"""The structure registry: Seoul's bridges, tunnels, underpasses and overpasses from the
node-link road types, the grid city's fixed set, and sensors attached to them."""

from __future__ import annotations

import csv
from collections import Counter

import numpy as np
import pytest

from geo import City
from geo.structures import (
    ATTACH_M,
    KINDS,
    attached_structure,
    structure_by_id,
    structure_edges,
    structures,
    underpasses_near,
)
from streams.contract.closures import StructureKind
from tests.geo.geo_seoul_data import SEOUL_DIR, needs_seoul

UNDERPASS = "ST-U-G686-G687"


def test_grid_city_has_one_structure_of_each_kind(builtin: City) -> None:
    found = structures(builtin)
    assert [s.kind for s in found] == ["bridge", "overpass", "tunnel", "underpass"]
    assert [s.name for s in found] == ["데모대교", "데모1고가차도", "데모터널", "데모1지하차도"]
    assert structures(builtin) is found  # built once per city


def test_grid_underpass_is_two_blocks_both_ways(builtin: City) -> None:
    s = structure_by_id(builtin, UNDERPASS)
    assert s is not None
    assert s.link_ids == ("G686-G687", "G687-G686", "G687-G688", "G688-G687")
    assert 200 < s.length_m < 300  # two 120 m blocks, counted once, not per direction
    assert s.sensor_ids == (f"WL-{UNDERPASS}",)
    assert len(s.lines) == 4 and all(len(line) == 2 for line in s.lines)
    edges = structure_edges(builtin, s)
    src, dst, _, _ = builtin.roads.edge_arrays()
    roads = builtin.roads
    ids = {f"{roads.node_id(int(src[e]))}-{roads.node_id(int(dst[e]))}" for e in edges}
    assert ids == set(s.link_ids)


def test_unknown_structure_is_none(builtin: City) -> None:
    assert structure_by_id(builtin, "ST-U-nowhere") is None


def test_declared_sensor_attaches_wherever_it_reports(builtin: City) -> None:
    s = attached_structure(builtin, f"WL-{UNDERPASS}", "water_level", 126.9, 37.5)
    assert s is not None and s.id == UNDERPASS


def test_reading_attaches_to_nearest_structure_of_its_kind(builtin: City) -> None:
    underpass = structure_by_id(builtin, UNDERPASS)
    assert underpass is not None
    found = attached_structure(builtin, "WL-ANY-1", "water_level", underpass.lon, underpass.lat)
    assert found == underpass
    # a CO reading at the underpass is about no tunnel; a water gauge far away about nothing
    assert attached_structure(builtin, "CO-ANY", "tunnel_co", underpass.lon, underpass.lat) is None
    far_lat = underpass.lat + 3 * ATTACH_M / 111_000
    assert attached_structure(builtin, "WL-ANY-2", "water_level", underpass.lon, far_lat) is None
    assert attached_structure(builtin, "X", "seismic", underpass.lon, underpass.lat) is None


@needs_seoul
def test_seoul_structures_cover_every_structure_link_in_the_graph(seoul: City) -> None:
    with (SEOUL_DIR / "seoul_nodelink_links.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    marked = {r["link_id"]: KINDS[r["road_type"]] for r in rows if r["road_type"] in KINDS}
    found = structures(seoul)
    owner = Counter(link for s in found for link in s.link_ids)
    assert max(owner.values()) == 1  # a link is in one structure
    assert all(marked[link] == s.kind for s in found for link in s.link_ids)
    # every marked link whose two nodes the graph kept belongs to a structure
    in_graph = {
        r["link_id"]
        for r in rows
        if r["link_id"] in marked
        and seoul.roads.node_index(r["from_node"]) is not None
        and seoul.roads.node_index(r["to_node"]) is not None
    }
    assert in_graph == set(owner)
    kinds = Counter(s.kind for s in found)
    assert set(kinds) == {"bridge", "tunnel", "underpass", "overpass"}
    assert len({s.id for s in found}) == len({s.name for s in found}) == len(found)
    assert all(s.gu for s in found)


@needs_seoul
def test_seoul_named_underpass_keeps_its_name(seoul: City) -> None:
    names = [s.name for s in structures(seoul) if s.kind == "underpass"]
    assert any(n.startswith("서빙고지하차도") for n in names)
    assert all("지하차도" in n for n in names)


@needs_seoul
def test_seoul_structure_edges_are_its_links(seoul: City) -> None:
    for s in structures(seoul)[:40]:
        edges = structure_edges(seoul, s)
        assert 1 <= len(edges) <= len(s.link_ids)
        assert np.all(np.diff(edges) > 0)


@needs_seoul
@pytest.mark.parametrize("kind", ["underpass", "bridge", "tunnel"])
def test_seoul_reading_on_a_structure_attaches_to_it(seoul: City, kind: str) -> None:
    sensor_kind = {"underpass": "water_level", "bridge": "wind", "tunnel": "tunnel_co"}[kind]
    s = next(s for s in structures(seoul) if s.kind == kind)
    lon, lat = s.lines[0][0]
    found = attached_structure(seoul, "ANY-1", sensor_kind, lon, lat)
    assert found is not None and found.kind == kind


def test_a_graph_without_a_structure_searches_as_one_built_without_its_links(
    builtin: City,
) -> None:
    from geo.graph_build import build_road_graph

    roads = builtin.roads
    s = structure_by_id(builtin, UNDERPASS)
    assert s is not None
    edges = structure_edges(builtin, s)
    closed = roads.without_edges(edges)
    src, dst, time_s, length = roads.edge_arrays()
    keep = np.ones(roads.edge_count, bool)
    keep[edges] = False
    lon, lat = roads.node_lonlats()
    rebuilt, _ = build_road_graph(
        node_ids=[roads.node_id(i) for i in range(roads.node_count)],
        lon=lon,
        lat=lat,
        src=src[keep],
        dst=dst[keep],
        length_m=length[keep],
        time_s=time_s[keep],
        streets=[""] * int(keep.sum()),
        crs=roads.projection.crs,
    )
    west = int(src[edges[0]])
    assert np.array_equal(closed.times_from(west), rebuilt.times_from(west))
    assert not np.array_equal(closed.times_from(west), roads.times_from(west))
    route = closed.route(west, int(dst[edges[0]]))
    assert route is not None and len(route.nodes) > 2  # around, not through
    assert roads.without_edges(np.zeros(0, np.int64)) is roads


def test_a_smoke_detector_attaches_to_a_tunnel_only_by_its_declared_id(builtin: City) -> None:
    tunnel = structure_by_id(builtin, "ST-T-G230-G231")
    assert tunnel is not None
    # a building's detector beside the bore is not the tunnel's
    assert (
        attached_structure(builtin, "SMK-BLDG-1", "smoke_detector", tunnel.lon, tunnel.lat) is None
    )
    declared = attached_structure(builtin, f"SMK-{tunnel.id}", "smoke_detector", 126.9, 37.5)
    assert declared == tunnel
    assert attached_structure(builtin, "CO-ANY", "tunnel_co", tunnel.lon, tunnel.lat) == tunnel


def test_underpasses_near_a_river_gauge(builtin: City) -> None:
    underpass = structure_by_id(builtin, UNDERPASS)
    assert underpass is not None
    north_500m = underpass.lat + 500 / 111_000
    assert underpasses_near(builtin, underpass.lon, north_500m) == (underpass,)
    assert underpasses_near(builtin, underpass.lon, underpass.lat + 2_000 / 111_000) == ()


def test_the_registry_s_kinds_are_the_contract_s() -> None:
    assert set(KINDS.values()) == {k.value for k in StructureKind}
