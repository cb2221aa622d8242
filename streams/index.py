"""A grid index of active incidents, derived from the incident table (never the only copy)."""

from __future__ import annotations

import math
from collections import defaultdict

CELL_DEG_LAT = 0.009  # ≈ 1 km
M_PER_DEG_LAT = 111_320.0


class GridIndex:
    """Incident ids by ~1 km grid cell, for candidate search within a radius."""

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
        self.remove(incident_id)
        cell = self._cell(lon, lat)
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
        """Ids of incidents in cells that may lie within ``radius_m`` of the point."""
        cx, cy = self._cell(lon, lat)
        cell_h_m = CELL_DEG_LAT * M_PER_DEG_LAT
        cell_w_m = cell_h_m * math.cos(math.radians(lat)) / self._cos_ref
        reach_x = math.ceil(radius_m / cell_w_m) + 1
        reach_y = math.ceil(radius_m / cell_h_m) + 1
        found: list[str] = []
        for dx in range(-reach_x, reach_x + 1):
            for dy in range(-reach_y, reach_y + 1):
                ids = self._cells.get((cx + dx, cy + dy))
                if ids:
                    found.extend(ids)
        return found
