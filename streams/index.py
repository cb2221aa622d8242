"""A grid index of active incidents, derived from the incident table (never the only copy)."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from typing import Generic, TypeVar

CELL_DEG_LAT = 0.0025  # ≈ 280 m: about the join radius of the common types (fire, crowd)
M_PER_DEG_LAT = 111_320.0
K = TypeVar("K", bound=Hashable)
SHARED_MAX_M = 500.0
"""Kinds reached within this radius share one search (wider ones, a flood's or a quake's,
are searched on their own, or one search would cover a district)."""
MARGIN = 1.01
"""Radii are widened by 1 % so that the flat-earth cell arithmetic never misses a candidate."""


class GridIndex:
    """Incident ids by grid cell, for candidate search within a radius."""

    def __init__(self, ref_lat: float = 37.5) -> None:
        self._cos_ref = math.cos(math.radians(ref_lat))
        self._cells: dict[tuple[int, int], set[str]] = defaultdict(set)
        self._where: dict[str, tuple[int, int]] = {}

    def __len__(self) -> int:
        return len(self._where)

    def _cell(self, lon: float, lat: float) -> tuple[int, int]:
        return math.floor(lon * self._cos_ref / CELL_DEG_LAT), math.floor(lat / CELL_DEG_LAT)

    def put(self, incident_id: str, lon: float, lat: float) -> None:
        """Index (or move) an incident."""
        cell = self._cell(lon, lat)
        if self._where.get(incident_id) == cell:
            return
        self.remove(incident_id)
        self._cells[cell].add(incident_id)
        self._where[incident_id] = cell

    def remove(self, incident_id: str) -> None:
        """Forget an incident (closed or resolved)."""
        cell = self._where.pop(incident_id, None)
        if cell is not None:
            self._cells[cell].discard(incident_id)
            if not self._cells[cell]:
                del self._cells[cell]

    def near(self, lon: float, lat: float, radius_m: float) -> list[str]:
        """Ids of incidents in every cell that has a point within ``radius_m`` of (lon, lat)."""
        cell_h_m = CELL_DEG_LAT * M_PER_DEG_LAT
        cell_w_m = cell_h_m * math.cos(math.radians(lat)) / self._cos_ref
        x = lon * self._cos_ref / CELL_DEG_LAT
        y = lat / CELL_DEG_LAT
        rx, ry = radius_m * MARGIN / cell_w_m, radius_m * MARGIN / cell_h_m
        x0, x1 = math.floor(x - rx), math.floor(x + rx)
        y0, y1 = math.floor(y - ry), math.floor(y + ry)
        found: list[str] = []
        cells = self._cells
        if len(cells) < (x1 - x0 + 1) * (y1 - y0 + 1):  # sparse: fewer cells than the window
            for (cx, cy), members in cells.items():
                if x0 <= cx <= x1 and y0 <= cy <= y1:
                    found.extend(members)
            return found
        for cx in range(x0, x1 + 1):
            for cy in range(y0, y1 + 1):
                ids = cells.get((cx, cy))
                if ids:
                    found.extend(ids)
        return found


class KindIndex(Generic[K]):
    """Incident ids by kind, each kind in its own :class:`GridIndex`, so that a search asks
    each compatible kind with that kind's own radius (a city-wide earthquake's reach is not
    the reach of every collapse report).

    The compatible kinds whose radius is at most ``SHARED_MAX_M`` are searched at once, in
    a grid of all incidents, with the widest of their radii, and the result kept to those
    kinds: one search instead of one per kind (a fire report may join eight kinds)."""

    def __init__(self, reach_m: Callable[[K, K], float | None], ref_lat: float = 37.5) -> None:
        self._reach_m = reach_m  # (evidence kind, incident kind) → radius, None if incompatible
        self._ref_lat = ref_lat
        self._grids: dict[K, GridIndex] = {}
        self._kind_of: dict[str, K] = {}
        self._plans: dict[K, list[tuple[GridIndex, float, frozenset[K] | None]]] = {}
        self._all = GridIndex(ref_lat)

    def __len__(self) -> int:
        return len(self._kind_of)

    def put(self, incident_id: str, kind: K, lon: float, lat: float) -> None:
        """Index (or move, or re-kind) an incident."""
        if self._kind_of.get(incident_id, kind) != kind:
            self.remove(incident_id)
        grid = self._grids.get(kind)
        if grid is None:
            grid = self._grids[kind] = GridIndex(self._ref_lat)
            self._plans.clear()
        grid.put(incident_id, lon, lat)
        self._all.put(incident_id, lon, lat)
        self._kind_of[incident_id] = kind

    def remove(self, incident_id: str) -> None:
        """Forget an incident."""
        kind = self._kind_of.pop(incident_id, None)
        if kind is not None:
            self._grids[kind].remove(incident_id)
            self._all.remove(incident_id)

    def near(self, kind: K, lon: float, lat: float) -> list[str]:
        """Ids of incidents that evidence of ``kind`` at (lon, lat) may join: of every
        compatible kind, within that pair's radius (it may return more, never fewer)."""
        plan = self._plans.get(kind)
        if plan is None:
            plan = self._plans[kind] = list(self._plan(kind, self._grids.items()))
        found: list[str] = []
        for grid, radius_m, only in plan:
            if len(grid):
                ids = grid.near(lon, lat, radius_m)
                if only is not None:
                    kind_of = self._kind_of
                    ids = [i for i in ids if kind_of[i] in only]
                found += ids
        return found

    def _plan(
        self, kind: K, grids: Iterable[tuple[K, GridIndex]]
    ) -> Iterable[tuple[GridIndex, float, frozenset[K] | None]]:
        reached: list[tuple[K, GridIndex, float]] = []
        for other, grid in grids:
            radius_m = self._reach_m(kind, other)
            if radius_m is not None:
                reached.append((other, grid, radius_m))
        shared = [(other, r) for other, _, r in reached if r <= SHARED_MAX_M]
        if len(shared) > 1:
            only = frozenset(other for other, _ in shared)
            every = len(only) == len(self._grids)  # then nothing needs leaving out
            yield self._all, max(r for _, r in shared), None if every else only
            reached = [(other, grid, r) for other, grid, r in reached if r > SHARED_MAX_M]
        for _, grid, radius_m in reached:
            yield grid, radius_m, None
