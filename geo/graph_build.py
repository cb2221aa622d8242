"""Cleaning raw directed links into a RoadGraph: no loops, fastest of parallels, largest SCC."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from geo.errors import CityDataError
from geo.roads import RoadGraph
from geo.speeds import SpeedModel

__all__ = ["GraphCleaning", "RawNetwork", "build_road_graph", "graph_from_network"]

MIN_EDGE_TIME_S = 1e-3  # csgraph must never see a zero weight (it would read it as no edge)
MIN_EDGE_LENGTH_M = 0.01


@dataclass(frozen=True)
class RawNetwork:
    """Directed links as read from a source, before cleaning (src/dst index node_ids)."""

    node_ids: list[str]
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    src: NDArray[np.int64]
    dst: NDArray[np.int64]
    length_m: NDArray[np.float64]
    legal_kph: NDArray[np.float64]
    streets: list[str]


@dataclass(frozen=True)
class GraphCleaning:
    """What building the graph removed."""

    self_loops_dropped: int
    parallel_edges_merged: int
    nodes_dropped_scc: int
    edges_dropped_scc: int


def build_road_graph(
    *,
    node_ids: Sequence[str],
    lon: ArrayLike,
    lat: ArrayLike,
    src: ArrayLike,
    dst: ArrayLike,
    length_m: ArrayLike,
    time_s: ArrayLike,
    streets: Sequence[str],
    crs: str,
) -> tuple[RoadGraph, GraphCleaning]:
    """A RoadGraph from directed links given as node positions (src/dst index node_ids)."""
    src_a = np.asarray(src, np.int64)
    dst_a = np.asarray(dst, np.int64)
    len_a = np.maximum(np.asarray(length_m, float), MIN_EDGE_LENGTH_M)
    time_a = np.maximum(np.asarray(time_s, float), MIN_EDGE_TIME_S)
    names, street_idx = np.unique(
        np.asarray(streets, dtype=object).astype(str), return_inverse=True
    )
    n = len(node_ids)
    if not (len(src_a) == len(dst_a) == len(len_a) == len(time_a) == len(street_idx)):
        raise CityDataError("edge arrays differ in length")

    loops = src_a == dst_a
    src_a, dst_a, len_a, time_a, street_idx = (
        a[~loops] for a in (src_a, dst_a, len_a, time_a, street_idx)
    )
    order = np.lexsort((time_a, dst_a, src_a))  # fastest first within each (src, dst)
    src_a, dst_a, len_a, time_a, street_idx = (
        a[order] for a in (src_a, dst_a, len_a, time_a, street_idx)
    )
    first = np.ones(len(src_a), bool)
    first[1:] = (src_a[1:] != src_a[:-1]) | (dst_a[1:] != dst_a[:-1])
    merged = int(np.sum(~first))
    src_a, dst_a, len_a, time_a, street_idx = (
        a[first] for a in (src_a, dst_a, len_a, time_a, street_idx)
    )
    if len(src_a) == 0:
        raise CityDataError("no road links left to build a graph from")

    adjacency = csr_matrix((np.ones(len(src_a)), (src_a, dst_a)), shape=(n, n))
    _, labels = connected_components(adjacency, directed=True, connection="strong")
    largest = np.bincount(labels).argmax()
    keep_node = labels == largest
    keep_edge = keep_node[src_a] & keep_node[dst_a]
    new_index = np.full(n, -1, np.int64)
    new_index[keep_node] = np.arange(int(keep_node.sum()))
    kept_ids = [nid for nid, k in zip(node_ids, keep_node, strict=True) if k]
    graph = RoadGraph(
        node_ids=kept_ids,
        lon=np.asarray(lon, float)[keep_node],
        lat=np.asarray(lat, float)[keep_node],
        src=new_index[src_a[keep_edge]],
        dst=new_index[dst_a[keep_edge]],
        length_m=len_a[keep_edge],
        time_s=time_a[keep_edge],
        street_index=street_idx[keep_edge],
        street_names=[str(s) for s in names],
        crs=crs,
    )
    cleaning = GraphCleaning(
        self_loops_dropped=int(loops.sum()),
        parallel_edges_merged=merged,
        nodes_dropped_scc=int(n - keep_node.sum()),
        edges_dropped_scc=int(len(src_a) - keep_edge.sum()),
    )
    return graph, cleaning


def graph_from_network(
    raw: RawNetwork, speed_model: SpeedModel, crs: str
) -> tuple[RoadGraph, GraphCleaning]:
    """Travel times from the speed model, then a cleaned RoadGraph."""
    kph = np.clip(
        raw.legal_kph * speed_model.emergency_factor, speed_model.min_kph, speed_model.max_kph
    )
    return build_road_graph(
        node_ids=raw.node_ids,
        lon=raw.lon,
        lat=raw.lat,
        src=raw.src,
        dst=raw.dst,
        length_m=raw.length_m,
        time_s=raw.length_m / (kph / 3.6),
        streets=raw.streets,
        crs=crs,
    )
