"""A grid index of active incidents, derived from the incident table (never the only copy)."""

from __future__ import annotations

import math
from collections import defaultdict

CELL_DEG_LAT = 0.0025  # ≈ 280 m: about the join radius of the common types (fire, crowd)
M_PER_DEG_LAT = 111_320.0
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
        found: list[str] = []
        cells = self._cells
        for cx in range(math.floor(x - rx), math.floor(x + rx) + 1):
            for cy in range(math.floor(y - ry), math.floor(y + ry) + 1):
                ids = cells.get((cx, cy))
                if ids:
                    found.extend(ids)
        return found
