"""Street distances a short way around a node, ignoring one-way (hose reach to hydrants).

A bounded Dijkstra over adjacency lists built once per road graph: it visits only the few
nodes within the limit, where scipy's search over the whole graph allocates and converts
graph-sized arrays on every call. Distances are the same floats as
``RoadGraph.street_distances_from`` (each is the minimum of ``dist[u] + length`` over its
neighbours, whatever order they are settled in); nodes beyond the limit are absent.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Collection
from functools import lru_cache

import numpy as np

from geo.roads import RoadGraph

__all__ = ["StreetReach", "street_reach"]


class StreetReach:
    """Undirected street adjacency of a road graph: node -> [(neighbour, length_m), ...]."""

    def __init__(self, roads: RoadGraph) -> None:
        src, dst, _, length_m = roads.edge_arrays()
        adjacency: list[list[tuple[int, float]]] = [[] for _ in range(roads.node_count)]
        lengths = np.asarray(length_m, float).tolist()
        for u, v, w in zip(src.tolist(), dst.tolist(), lengths, strict=True):
            adjacency[u].append((v, w))
            adjacency[v].append((u, w))
        self._adjacency = adjacency
        self._roads = roads

    def distances_from(
        self, node: int, limit_m: float, targets: Collection[int] | None = None
    ) -> dict[int, float]:
        """Street distance (m) from node to the nodes within limit_m (inclusive).

        With targets, the search stops once every target is settled: the answer then holds
        (at least) the targets within reach, and only final distances.
        """
        self._roads.node_lonlat(node)  # same range check (and error) as the road graph
        wanted = None if targets is None else set(targets)
        best: dict[int, float] = {node: 0.0}
        done: dict[int, float] = {}
        heap: list[tuple[float, int]] = [(0.0, node)]
        adjacency = self._adjacency
        while heap:
            d, u = heapq.heappop(heap)
            if u in done:
                continue
            done[u] = d
            if wanted is not None:
                wanted.discard(u)
                if not wanted:
                    break
            for v, w in adjacency[u]:
                if v in done:
                    continue
                nd = d + w
                if nd <= limit_m and nd < best.get(v, math.inf):
                    best[v] = nd
                    heapq.heappush(heap, (nd, v))
        return done


@lru_cache(maxsize=8)
def street_reach(roads: RoadGraph) -> StreetReach:
    """The (shared) StreetReach of a road graph."""
    return StreetReach(roads)
