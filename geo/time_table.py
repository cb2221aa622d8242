"""Precomputed exact travel times and routes from anchor nodes (stations) to every node.

Most available units wait at their station, so the one-to-many query of dispatch
("every candidate unit -> this incident") is, for them, a lookup in a table of forward
searches from the station nodes, computed once per city; their route is a walk up the
stored shortest-path tree. Units away from an anchor fall back to one reverse search
(RoadGraph.times_to). Both give the same times up to float rounding (the two searches
add the same edge times in opposite orders: differences of about 1e-12 s).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from geo.roads import RoadGraph
from geo.route import Route

__all__ = ["MAX_TABLE_BYTES", "TimeTable", "unit_times_to"]

MAX_TABLE_BYTES = 64 * 1024 * 1024  # beyond this (huge graphs x many anchors) do not precompute
BYTES_PER_ENTRY = 8 + 4  # a float64 time and an int32 predecessor per (anchor, node)


class TimeTable:
    """Exact travel times (s) and shortest-path trees from each anchor node to every node."""

    def __init__(self, graph: RoadGraph, anchors: Sequence[int] | ArrayLike) -> None:
        self.graph = graph
        self.anchors = np.unique(np.asarray(anchors, np.int64))
        self._row = np.full(graph.node_count, -1, np.int64)
        self._row[self.anchors] = np.arange(len(self.anchors))
        self._times, self._pred = graph.trees_from_many(self.anchors)

    @staticmethod
    def fits(graph: RoadGraph, anchor_count: int) -> bool:
        """Whether a table for this many anchors stays under MAX_TABLE_BYTES."""
        return anchor_count * graph.node_count * BYTES_PER_ENTRY <= MAX_TABLE_BYTES

    @property
    def nbytes(self) -> int:
        """Memory held by the table."""
        return int(self._times.nbytes + self._pred.nbytes)

    def covers(self, nodes: NDArray[np.int64]) -> bool:
        """Whether every node is an anchor."""
        return bool(np.all(self._row[nodes] >= 0))

    def is_anchor(self, node: int) -> bool:
        """Whether one node is an anchor."""
        return bool(self._row[node] >= 0)

    def anchored(self, nodes: NDArray[np.int64]) -> NDArray[np.bool_]:
        """Per node, whether it is an anchor."""
        return np.asarray(self._row[nodes] >= 0)

    def times_from(self, anchor: int) -> NDArray[np.float64]:
        """Travel times from an anchor to every node (a read-only view of its row)."""
        row = int(self._row[anchor])
        if row < 0:
            raise KeyError(f"node {anchor} is not an anchor of this table")
        view: NDArray[np.float64] = self._times[row]
        view.flags.writeable = False
        return view

    def times_to(
        self, target: int, sources: NDArray[np.int64], horizon_s: float = np.inf
    ) -> NDArray[np.float64]:
        """Travel time from each (anchored) source to target; inf beyond the horizon."""
        times = self._times[self._row[sources], target]
        return np.where(times <= horizon_s, times, np.inf)

    def route(self, source: int, target: int, *, steps: bool = True) -> Route | None:
        """The fastest route from an anchor to target (same as RoadGraph.route), None if none.

        A walk up the anchor's stored shortest-path tree: no search. `steps=False` leaves
        the turn-by-turn steps empty.
        """
        row = int(self._row[source])
        if row < 0:
            raise KeyError(f"node {source} is not an anchor of this table")
        self.graph.node_lonlat(target)  # raises UnknownNodeError like RoadGraph.route
        return self.graph.route_on_tree(source, target, self._pred[row], steps=steps)


def unit_times_to(
    graph: RoadGraph,
    target: int,
    unit_nodes: Sequence[int] | NDArray[np.int64],
    horizon_s: float = np.inf,
    table: TimeTable | None = None,
) -> NDArray[np.float64]:
    """Travel time (s) from each unit's node to target: table lookups for anchored units,
    one reverse search (only when some unit is away from every anchor) for the others."""
    nodes = np.asarray(unit_nodes, np.int64)
    if table is None or table.graph is not graph:
        return graph.times_to(target, horizon_s)[nodes]
    anchored = table.anchored(nodes)
    if anchored.all():
        return table.times_to(target, nodes, horizon_s)
    out = graph.times_to(target, horizon_s)[nodes]
    out[anchored] = table.times_to(target, nodes[anchored], horizon_s)
    return out
