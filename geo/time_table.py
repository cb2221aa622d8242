"""Precomputed exact travel times from anchor nodes (stations) to every node.

Most available units wait at their station, so the one-to-many query of dispatch
("every candidate unit -> this incident") is, for them, a lookup in a table of forward
searches from the station nodes, computed once per city. Units away from an anchor fall
back to one reverse search (RoadGraph.times_to). Both give the same exact times.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from geo.roads import RoadGraph

__all__ = ["MAX_TABLE_BYTES", "TimeTable", "unit_times_to"]

MAX_TABLE_BYTES = 64 * 1024 * 1024  # beyond this (huge graphs x many anchors) do not precompute


class TimeTable:
    """Exact travel times (s) from each anchor node to every node of a graph."""

    def __init__(self, graph: RoadGraph, anchors: Sequence[int] | ArrayLike) -> None:
        self.graph = graph
        self.anchors = np.unique(np.asarray(anchors, np.int64))
        self._row = np.full(graph.node_count, -1, np.int64)
        self._row[self.anchors] = np.arange(len(self.anchors))
        self._times = graph.times_from_many(self.anchors)

    @staticmethod
    def fits(graph: RoadGraph, anchor_count: int) -> bool:
        """Whether a table for this many anchors stays under MAX_TABLE_BYTES."""
        return anchor_count * graph.node_count * 8 <= MAX_TABLE_BYTES

    @property
    def nbytes(self) -> int:
        """Memory held by the table."""
        return int(self._times.nbytes)

    def covers(self, nodes: NDArray[np.int64]) -> bool:
        """Whether every node is an anchor."""
        return bool(np.all(self._row[nodes] >= 0))

    def times_to(
        self, target: int, sources: NDArray[np.int64], horizon_s: float = np.inf
    ) -> NDArray[np.float64]:
        """Travel time from each (anchored) source to target; inf beyond the horizon."""
        times = self._times[self._row[sources], target]
        return np.where(times <= horizon_s, times, np.inf)


def unit_times_to(
    graph: RoadGraph,
    target: int,
    unit_nodes: Sequence[int] | NDArray[np.int64],
    horizon_s: float = np.inf,
    table: TimeTable | None = None,
) -> NDArray[np.float64]:
    """Travel time (s) from each unit's node to target: a table lookup when all are anchored."""
    nodes = np.asarray(unit_nodes, np.int64)
    if table is not None and table.graph is graph and table.covers(nodes):
        return table.times_to(target, nodes, horizon_s)
    return graph.times_to(target, horizon_s)[nodes]
