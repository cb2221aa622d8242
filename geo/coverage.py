"""Golden-time coverage of the road network, city-wide and per district."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from geo.city import City

__all__ = ["coverage_by_district", "edge_district_codes"]


@lru_cache(maxsize=8)
def _edge_codes(city: City) -> tuple[NDArray[np.str_], tuple[str, ...]]:
    src, dst, _, _ = city.roads.edge_arrays()
    lon, lat = city.roads.node_lonlats()
    codes = city.district_codes_at((lon[src] + lon[dst]) / 2, (lat[src] + lat[dst]) / 2)
    arr = np.array([c or "" for c in codes], dtype=str)
    return arr, tuple(sorted(set(arr.tolist()) - {""}))


def edge_district_codes(city: City) -> NDArray[np.str_]:
    """The gu code of every road edge (by its midpoint; '' outside every gu), cached."""
    return _edge_codes(city)[0]


def coverage_by_district(city: City, sources: Sequence[int], within_s: float) -> dict[str, float]:
    """Per gu code, the share (0..1) of its road length reachable within within_s."""
    codes, names = _edge_codes(city)
    roads = city.roads
    _, _, _, length_m = roads.edge_arrays()
    if len(sources) == 0:
        return dict.fromkeys(names, 0.0)
    reached = roads.reached_length_m(sources, within_s)
    out = {}
    for code in names:
        mask = codes == code
        total = float(length_m[mask].sum())
        out[code] = float(reached[mask].sum() / total) if total > 0 else 0.0
    return out
