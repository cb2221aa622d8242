"""The directed road graph: snapping, one-to-many travel times, routes, coverage, isochrones."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from geo.errors import InvalidCoordinatesError, UnknownNodeError, check_lonlat
from geo.projection import projection_for
from geo.route import EdgeSnap, Route, Snap, merge_steps

__all__ = ["RoadGraph"]

ISOCHRONE_BUFFER_M = 40.0
ISOCHRONE_CACHE = 256
TIME_QUANTUM_S = 2.0**-20
"""Edge times are kept as multiples of this (about 1 µs): sums of them are then exact in
float64 (up to 2^33 s), so every search (forward, reverse, any order) and every route give
bit-identical travel times, and equal-time units really tie."""


def quantize_time_s(time_s: NDArray[np.float64]) -> NDArray[np.float64]:
    """Edge times rounded to TIME_QUANTUM_S (never below one quantum).

    >>> float(quantize_time_s(np.array([0.1]))[0]) == round(0.1 * 2**20) / 2**20
    True
    """
    q = np.round(np.asarray(time_s, float) / TIME_QUANTUM_S) * TIME_QUANTUM_S
    return np.asarray(np.maximum(q, TIME_QUANTUM_S), float)


class RoadGraph:
    """A strongly connected directed road graph with travel times (s) on its edges.

    Nodes are 0..node_count-1. Edges are unique per (from, to) and sorted by (from, to).
    Edge times are quantized to TIME_QUANTUM_S so that travel times are exact sums.
    Build one with ``geo.graph_build.build_road_graph``.
    """

    def __init__(
        self,
        *,
        node_ids: Sequence[str],
        lon: NDArray[np.float64],
        lat: NDArray[np.float64],
        src: NDArray[np.int64],
        dst: NDArray[np.int64],
        length_m: NDArray[np.float64],
        time_s: NDArray[np.float64],
        street_index: NDArray[np.int64],
        street_names: Sequence[str],
        crs: str,
    ) -> None:
        n = len(node_ids)
        order = np.lexsort((dst, src))
        self._node_ids = tuple(node_ids)
        self._index_of = {nid: i for i, nid in enumerate(self._node_ids)}
        self._lon = np.asarray(lon, float)
        self._lat = np.asarray(lat, float)
        self._src = np.asarray(src, np.int64)[order]
        self._dst = np.asarray(dst, np.int64)[order]
        self._length_m = np.asarray(length_m, float)[order]
        self._time_s = quantize_time_s(np.asarray(time_s, float)[order])
        self._street = np.asarray(street_index, np.int64)[order]
        self._street_names = tuple(street_names)
        self.projection = projection_for(crs)
        self.node_count = n
        self.edge_count = len(self._src)
        indptr = np.concatenate([[0], np.cumsum(np.bincount(self._src, minlength=n))])
        self._indptr = indptr.astype(np.int32)
        self._indices = self._dst.astype(np.int32)
        self._edge_keys = self._src * n + self._dst  # sorted: edge of (u, v) by bisection
        self._fwd = csr_matrix((self._time_s, self._indices, self._indptr), shape=(n, n))
        self._rev = csr_matrix(self._fwd.T)  # built once: every times_to is one search on it
        self._x, self._y = self.projection.to_metric(self._lon, self._lat)
        self._tree = cKDTree(np.column_stack([self._x, self._y]))
        self._length_graph: csr_matrix | None = None
        self._edge_tree: shapely.STRtree | None = None
        self._isochrones: dict[tuple[int, float], Any] = {}
        self._max_speed_mps = (
            float(np.max(self._length_m / self._time_s)) if self.edge_count else 1.0
        )
        self._total_time_s = float(np.sum(self._time_s))

    # -- nodes -------------------------------------------------------------------------
    def node_lonlat(self, node: int) -> tuple[float, float]:
        """(lon, lat) of a node."""
        self._check(node)
        return float(self._lon[node]), float(self._lat[node])

    def node_id(self, node: int) -> str:
        """The source data's id of a node (e.g. a node-link NODE_ID or an OSM id)."""
        self._check(node)
        return self._node_ids[node]

    def node_index(self, node_id: str) -> int | None:
        """The graph node of a source id, None when it is not in the graph."""
        return self._index_of.get(node_id)

    def node_lonlats(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """(lon, lat) of all nodes (read-only views)."""
        return self._lon, self._lat

    def node_xy(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Metric coordinates (x, y) of all nodes (read-only views)."""
        return self._x, self._y

    def snap(self, lon: float, lat: float) -> Snap:
        """The nearest road node to a point, with the straight-line snap distance."""
        check_lonlat(lon, lat)
        x, y = self.projection.point_to_metric(lon, lat)
        distance_m, node = self._tree.query((x, y))
        node = int(node)
        return Snap(node, float(distance_m), float(self._lon[node]), float(self._lat[node]))

    def snap_many(
        self, lons: NDArray[np.float64], lats: NDArray[np.float64]
    ) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """Nearest road node and snap distance (m) for many points at once."""
        if not (np.all(np.isfinite(lons)) and np.all(np.isfinite(lats))):
            raise InvalidCoordinatesError("snap_many: non-finite lon/lat")
        x, y = self.projection.to_metric(lons, lats)
        if x.size == 0:
            return np.zeros(0, np.int64), np.zeros(0, float)
        distance_m, nodes = self._tree.query(np.column_stack([x.ravel(), y.ravel()]))
        return np.asarray(nodes, np.int64), np.asarray(distance_m, float)

    def snap_edge(self, lon: float, lat: float) -> EdgeSnap:
        """The nearest point on any road link, with the link(s) through it."""
        check_lonlat(lon, lat)
        x, y = self.projection.point_to_metric(lon, lat)
        if self._edge_tree is None:
            self._edge_tree = shapely.STRtree(self._segments())
        point = shapely.Point(x, y)
        hits, dists = self._edge_tree.query_nearest(point, return_distance=True, all_matches=True)
        first = int(hits[0])
        u0, v0 = int(self._src[first]), int(self._dst[first])
        ux, uy, vx, vy = self._x[u0], self._y[u0], self._x[v0], self._y[v0]
        seg2 = (vx - ux) ** 2 + (vy - uy) ** 2
        f = (
            float(np.clip(((x - ux) * (vx - ux) + (y - uy) * (vy - uy)) / seg2, 0, 1))
            if seg2
            else 0.0
        )
        fx, fy = ux + f * (vx - ux), uy + f * (vy - uy)
        edges = []
        for e in sorted(int(h) for h in hits):
            u, v = int(self._src[e]), int(self._dst[e])
            if (u, v) == (u0, v0):
                edges.append((u, v, f))
            elif (u, v) == (v0, u0):
                edges.append((u, v, 1.0 - f))
        flon, flat = self.projection.to_wgs84(fx, fy)
        return EdgeSnap(tuple(edges), float(dists[0]), float(flon), float(flat))

    def time_from_edge_snap(self, snap: EdgeSnap, times_to_target: NDArray[np.float64]) -> float:
        """Travel time from a snapped point to a target, given times_to(target).

        The vehicle drives the rest of its link, then on from the link's end node.
        """
        best = np.inf
        for u, v, f in snap.edges:
            best = min(best, (1.0 - f) * self.edge_time_s(u, v) + float(times_to_target[v]))
        return float(best)

    def _segments(self) -> NDArray[np.object_]:
        start = np.column_stack([self._x[self._src], self._y[self._src]])
        end = np.column_stack([self._x[self._dst], self._y[self._dst]])
        return np.asarray(shapely.linestrings(np.stack([start, end], axis=1)))

    def nodes_within(self, lon: float, lat: float, radius_m: float) -> list[int]:
        """Road nodes within a straight-line radius of a point, sorted."""
        x, y = self.projection.point_to_metric(lon, lat)
        return sorted(int(i) for i in self._tree.query_ball_point((x, y), radius_m))

    # -- edges -------------------------------------------------------------------------
    def edge_arrays(
        self,
    ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]]:
        """All edges as (from, to, time_s, length_m) arrays, sorted by (from, to)."""
        return self._src, self._dst, self._time_s, self._length_m

    def with_edge_times(self, time_s: NDArray[np.float64]) -> RoadGraph:
        """The same network with other edge times (in edge_arrays order): one hour band."""
        return RoadGraph(
            node_ids=self._node_ids,
            lon=self._lon,
            lat=self._lat,
            src=self._src,
            dst=self._dst,
            length_m=self._length_m,
            time_s=np.asarray(time_s, float),
            street_index=self._street,
            street_names=self._street_names,
            crs=self.projection.crs,
        )

    def without_edges(self, edges: NDArray[np.int64]) -> RoadGraph:
        """The same network with some edges (edge_arrays indices) taken out of every search:
        closed roads. Only the two search matrices are rebuilt; nodes, snapping, geometry and
        edge lookups are shared with this graph, and routes never use the edges taken out.
        """
        drop = np.unique(np.asarray(edges, np.int64))
        if drop.size == 0:
            return self
        keep = np.ones(self.edge_count, bool)
        keep[drop] = False
        n = self.node_count
        indptr = np.concatenate([[0], np.cumsum(np.bincount(self._src[keep], minlength=n))])
        fwd = csr_matrix((self._time_s[keep], self._indices[keep], indptr), shape=(n, n))
        closed: RoadGraph = object.__new__(RoadGraph)
        closed.__dict__.update(self.__dict__)
        closed._fwd = fwd
        closed._rev = csr_matrix(fwd.T)
        closed._isochrones = {}
        return closed

    def edge_time_s(self, u: int, v: int) -> float:
        """Travel time of the edge u -> v; KeyError when there is none."""
        return float(self._time_s[self._edge(u, v)])

    def edge_street(self, u: int, v: int) -> str:
        """Street name of the edge u -> v ('' when unnamed)."""
        return self._street_names[int(self._street[self._edge(u, v)])]

    def edge_index(self, u: int, v: int) -> int | None:
        """The index (in edge_arrays order) of the edge u -> v, None when there is none."""
        try:
            return self._edge(u, v)
        except (KeyError, UnknownNodeError):
            return None

    def _edge(self, u: int, v: int) -> int:
        self._check(u)
        self._check(v)
        lo, hi = int(self._indptr[u]), int(self._indptr[u + 1])
        pos = lo + int(np.searchsorted(self._indices[lo:hi], v))
        if pos >= hi or self._indices[pos] != v:
            raise KeyError((u, v))
        return pos

    def _check(self, node: int) -> None:
        if not 0 <= node < self.node_count:
            raise UnknownNodeError(f"node {node} not in graph of {self.node_count} nodes")

    # -- searches ----------------------------------------------------------------------
    def times_to(self, target: int, horizon_s: float = np.inf) -> NDArray[np.float64]:
        """Travel time (s) from every node to target; inf beyond the horizon."""
        self._check(target)
        return np.asarray(dijkstra(self._rev, indices=target, limit=horizon_s))

    def times_from(self, source: int, horizon_s: float = np.inf) -> NDArray[np.float64]:
        """Travel time (s) from source to every node; inf beyond the horizon."""
        self._check(source)
        return np.asarray(dijkstra(self._fwd, indices=source, limit=horizon_s))

    def times_from_many(
        self, sources: Sequence[int] | NDArray[np.int64], horizon_s: float = np.inf
    ) -> NDArray[np.float64]:
        """Travel times (s), one row per source, to every node; inf beyond the horizon."""
        nodes = np.asarray(sources, np.int64).ravel()
        for s in nodes:
            self._check(int(s))
        if nodes.size == 0:
            return np.zeros((0, self.node_count))
        return np.atleast_2d(np.asarray(dijkstra(self._fwd, indices=nodes, limit=horizon_s)))

    def trees_from_many(
        self, sources: Sequence[int] | NDArray[np.int64]
    ) -> tuple[NDArray[np.float64], NDArray[np.int32]]:
        """Full shortest-path trees, one row per source: (times to every node, predecessors)."""
        nodes = np.asarray(sources, np.int64).ravel()
        for s in nodes:
            self._check(int(s))
        if nodes.size == 0:
            return np.zeros((0, self.node_count)), np.zeros((0, self.node_count), np.int32)
        times, pred = dijkstra(self._fwd, indices=nodes, return_predecessors=True)
        return np.atleast_2d(np.asarray(times)), np.atleast_2d(np.asarray(pred, np.int32))

    def route(self, source: int, target: int) -> Route | None:
        """The fastest route source -> target, None when target is unreachable."""
        self._check(source)
        self._check(target)
        pred = self._predecessors(source, target)
        if pred is None:
            return None
        return self.route_on_tree(source, target, pred)

    def route_on_tree(
        self, source: int, target: int, pred: NDArray[np.int32], *, steps: bool = True
    ) -> Route | None:
        """The route source -> target along a shortest-path tree grown from source.

        `pred` is the predecessor row of a search from source (scipy's convention: -9999
        where there is none); None when target is not on the tree. `steps=False` leaves
        the turn-by-turn steps empty (cheaper when only the line and length are wanted).
        """
        path = [target]
        while path[-1] != source:
            back = int(pred[path[-1]])
            if back < 0:
                return None
            path.append(back)
        path.reverse()
        return self._route_along(path, steps)

    def _route_along(self, path: list[int], steps: bool = True) -> Route:
        """Route geometry, ETA, length and (optionally) steps of a node path."""
        nodes = np.asarray(path, np.int64)
        edges = np.searchsorted(self._edge_keys, nodes[:-1] * self.node_count + nodes[1:])
        times = self._time_s[edges].tolist()
        lengths = self._length_m[edges].tolist()
        streets = [self._street_names[i] for i in self._street[edges].tolist()] if steps else []
        coords = np.column_stack([self._lon[nodes], self._lat[nodes]]).tolist()
        if len(coords) == 1:
            coords.append(list(coords[0]))
        eta_s = 0.0
        for t in times:  # same summation order as the search, so eta_s == times_from[target]
            eta_s += t
        return Route(
            eta_s=eta_s,
            distance_m=float(sum(lengths)),
            nodes=tuple(path),
            geometry={"type": "LineString", "coordinates": coords},
            steps=merge_steps(streets, lengths, times) if steps else (),
        )

    def _predecessors(self, source: int, target: int) -> NDArray[np.int32] | None:
        """Shortest-path tree from source reaching target, grown in horizon rounds.

        A search limited to a horizon is exact for every node it settles, so the first round
        whose horizon covers the target gives the same route as an unlimited search, while
        exploring only a disc around the source (x4 per round, starting from 4x the time at
        the fastest speed on the straight line).
        """
        if source == target:
            return np.full(self.node_count, -9999, np.int32)
        straight_m = float(
            np.hypot(self._x[target] - self._x[source], self._y[target] - self._y[source])
        )
        horizon_s = max(60.0, 4.0 * straight_m / self._max_speed_mps)
        while True:
            times, pred = dijkstra(
                self._fwd, indices=source, return_predecessors=True, limit=horizon_s
            )
            if np.isfinite(times[target]):
                return np.asarray(pred)
            if not np.isfinite(horizon_s):
                return None
            horizon_s = horizon_s * 4.0 if horizon_s < self._total_time_s else np.inf

    def reach_from(self, sources: Sequence[int], within_s: float) -> NDArray[np.float64]:
        """Travel time from the nearest of several sources to every node; inf beyond."""
        for s in sources:
            self._check(int(s))
        return np.asarray(dijkstra(self._fwd, indices=list(sources), limit=within_s, min_only=True))

    def coverage(self, sources: Sequence[int], within_s: float) -> float:
        """Share (0..1) of directed road length reachable within within_s from any source."""
        if len(sources) == 0 or self.edge_count == 0:
            return 0.0
        return float(np.sum(self.reached_length_m(sources, within_s)) / np.sum(self._length_m))

    def reached_length_m(self, sources: Sequence[int], within_s: float) -> NDArray[np.float64]:
        """Per edge (edge_arrays order), the metres of it reachable within within_s."""
        fraction = self._reached_fraction(self.reach_from(sources, within_s), within_s)
        return np.asarray(self._length_m * fraction, float)

    def isochrone(self, source: int, within_s: float) -> dict[str, Any]:
        """GeoJSON Polygon of the area reachable from source within within_s."""
        geom = self.isochrone_geometry(source, within_s)
        return shapely.geometry.mapping(geom)  # type: ignore[no-any-return]

    def isochrone_geometry(self, source: int, within_s: float) -> Any:
        """Shapely WGS84 polygon of the area reachable from source within within_s.

        The reached road (whole links, and the driven part of the last ones) buffered by
        ISOCHRONE_BUFFER_M. Costs tens of ms for a few minutes on the Seoul graph, about a
        second for 14 minutes: results are cached per (source, within_s).
        """
        self._check(source)
        key = (int(source), float(within_s))
        cached = self._isochrones.get(key)
        if cached is not None:
            return cached
        times = dijkstra(self._fwd, indices=source, limit=within_s)
        fraction = self._reached_fraction(times, within_s)
        keep = fraction > 0
        u, v, f = self._src[keep], self._dst[keep], fraction[keep]
        whole = f >= 1.0
        # a fully reached two-way street is drawn once, not once per direction
        pair = np.minimum(u, v)[whole] * self.node_count + np.maximum(u, v)[whole]
        _, first = np.unique(pair, return_index=True)
        u = np.concatenate([u[whole][first], u[~whole]])
        v = np.concatenate([v[whole][first], v[~whole]])
        f = np.concatenate([np.ones(len(first)), f[~whole]])
        x0, y0 = self._x[u], self._y[u]
        x1, y1 = x0 + (self._x[v] - x0) * f, y0 + (self._y[v] - y0) * f
        reached: Any = shapely.Point(self._x[source], self._y[source])
        if len(u):  # every reached link starts at a reached node: the source is on them
            ends = np.stack([np.column_stack([x0, y0]), np.column_stack([x1, y1])], axis=1)
            reached = shapely.multilinestrings(shapely.linestrings(ends))
        metric = shapely.buffer(reached, ISOCHRONE_BUFFER_M, quad_segs=1).simplify(5.0)
        if metric.geom_type != "Polygon":  # cannot happen for a connected reach; be safe
            metric = metric.convex_hull
        result = self.projection.geometry_to_wgs84(metric)
        if len(self._isochrones) >= ISOCHRONE_CACHE:
            self._isochrones.pop(next(iter(self._isochrones)))
        self._isochrones[key] = result
        return result

    def _reached_fraction(self, times: NDArray[np.float64], within_s: float) -> NDArray[np.float64]:
        """Per edge, the share of its length driven within within_s from its start node."""
        start = times[self._src]
        with np.errstate(invalid="ignore"):
            fraction = np.clip((within_s - start) / self._time_s, 0.0, 1.0)
        fraction[~np.isfinite(start)] = 0.0
        return np.asarray(fraction, float)

    # -- distances along streets, any direction (hoses, walking) -----------------------
    def street_distances_from(self, node: int, limit_m: float) -> NDArray[np.float64]:
        """Distance (m) along streets from node to every node ignoring one-way; inf beyond."""
        self._check(node)
        if self._length_graph is None:
            self._length_graph = csr_matrix(
                (self._length_m, self._indices, self._indptr), shape=self._fwd.shape
            )
        return np.asarray(dijkstra(self._length_graph, directed=False, indices=node, limit=limit_m))
