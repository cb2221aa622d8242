"""Districts an alert area touches, through an STRtree built once per district list.

The tree holds the WGS84 outlines, so its bounding-box candidates are exactly those of the
plain loop (a district whose box misses the area's box is skipped); each district's metric
outline is projected once, the first time an area reaches it, and kept.
"""

from __future__ import annotations

import operator
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
import shapely
from numpy.typing import NDArray

from alerts.metric import to_metric
from alerts.model import DistrictRef

__all__ = ["DistrictIndex", "DistrictLike", "district_index", "level_rank"]

_LEVEL_ORDER = {"gu": 0, "dong": 1}
_CACHE_SIZE = 8
_UNION_CACHE_SIZE = 256
_cache: OrderedDict[int, DistrictIndex] = OrderedDict()


class DistrictLike(Protocol):
    """Anything with a code, name, level and WGS84 geometry (geo.District fits)."""

    @property
    def code(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def level(self) -> str: ...
    @property
    def geometry(self) -> Any: ...


def level_rank(level: str) -> int:
    """Sort rank of a district level: gu before dong before anything else."""
    return _LEVEL_ORDER.get(level, 2)


class DistrictIndex:
    """A district list with an STRtree over its WGS84 outlines and lazily kept metric ones."""

    def __init__(self, districts: Sequence[DistrictLike]) -> None:
        self.districts: tuple[DistrictLike, ...] = tuple(districts)
        self.refs = tuple(DistrictRef(d.code, d.name, d.level) for d in self.districts)
        self._tree = shapely.STRtree([d.geometry for d in self.districts])
        self._metric: list[Any | None] = [None] * len(self.districts)
        self._unions: dict[tuple[int, ...], Any] = {}

    def __len__(self) -> int:
        return len(self.districts)

    def holds(self, districts: Sequence[DistrictLike]) -> bool:
        """True when this index was built over exactly these district objects, in order."""
        return len(districts) == len(self.districts) and all(
            map(operator.is_, districts, self.districts)
        )

    def candidates(self, west: float, south: float, east: float, north: float) -> list[int]:
        """Indices (ascending) of districts whose WGS84 box meets this box."""
        hits: NDArray[np.intp] = self._tree.query(shapely.box(west, south, east, north))
        return sorted(hits.tolist())

    def metric(self, i: int) -> Any:
        """District i's outline in EPSG:5179 metres (projected and prepared once)."""
        geom = self._metric[i]
        if geom is None:
            geom = to_metric(self.districts[i].geometry)
            shapely.prepare(geom)  # predicates (covers the incident?) get fast
            self._metric[i] = geom
        return geom

    def union(self, indices: tuple[int, ...]) -> Any:
        """union_all of these districts' metric outlines, in this order (recent ones kept)."""
        found = self._unions.get(indices)
        if found is None:
            found = shapely.union_all([self.metric(i) for i in indices])
            if len(self._unions) >= _UNION_CACHE_SIZE:
                self._unions.clear()
            self._unions[indices] = found
        return found


def district_index(districts: Sequence[DistrictLike] | DistrictIndex) -> DistrictIndex:
    """The index of a district list, reused while the same list (same objects) comes back."""
    if isinstance(districts, DistrictIndex):
        return districts
    key = id(districts)
    found = _cache.get(key)
    if found is not None and found.holds(districts):
        _cache.move_to_end(key)
        return found
    index = DistrictIndex(districts)
    _cache[key] = index
    while len(_cache) > _CACHE_SIZE:
        _cache.popitem(last=False)
    return index
