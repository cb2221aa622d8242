"""The available fleet as arrays, rebuilt only when the fleet changes.

A recommendation needs, for every available unit of the kinds its run card may use, the
position it is taken to be at (its last fix, or its station when the fix is stale), the
road node there, its turnout and its straight-line distance to the scene. What depends
only on the fleet (kinds, positions, snapped nodes) is computed once per fleet version;
what depends on the call (which kinds, staleness at `now`, the scene) is vectorised.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import numpy.typing as npt

from dispatch.fleet import Unit

__all__ = ["AT_STATION_M", "EARTH_M", "FleetArrays", "Snapshot", "haversine_m", "straight_line_m"]

AT_STATION_M = 150.0  # a unit this close to its station still has to turn out
EARTH_M = 6_371_008.8
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_NAIVE = datetime(1970, 1, 1)
_US = timedelta(microseconds=1)

SnapNodes = Callable[[npt.NDArray[np.float64], npt.NDArray[np.float64]], npt.NDArray[np.int64]]


def straight_line_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres between two WGS84 points.

    >>> round(straight_line_m(126.978, 37.5665, 126.978, 37.5765))
    1112
    """
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_M * math.asin(math.sqrt(a))


def haversine_m(
    lon1: npt.NDArray[np.float64],
    lat1: npt.NDArray[np.float64],
    lon2: npt.NDArray[np.float64],
    lat2: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]:
    """Great-circle distances in metres, element-wise."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2 - lon1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return np.asarray(2 * EARTH_M * np.arcsin(np.sqrt(a)))


def _micros(at: datetime) -> int:
    """Exact microseconds since the epoch (aware times in UTC, naive ones as they are)."""
    return (at - (_EPOCH if at.utcoffset() is not None else _EPOCH_NAIVE)) // _US


@dataclass(frozen=True)
class Snapshot:
    """The units that could go, as arrays: kind, road node, turnout, distance, staleness."""

    units: list[Unit]
    kinds: npt.NDArray[np.str_]
    nodes: npt.NDArray[np.int64]
    turnout_s: npt.NDArray[np.float64]
    distance_m: npt.NDArray[np.float64]
    stale: npt.NDArray[np.bool_]
    by_kind: dict[str, npt.NDArray[np.intp]]
    """Positions (ascending) of each kind's units in `units`, kinds in set order."""
    index_of: dict[str, int]
    """Position of each unit id in `units`."""


@dataclass(frozen=True)
class _Selection:
    positions: npt.NDArray[np.intp]
    units: list[Unit]
    by_kind: dict[str, npt.NDArray[np.intp]]
    index_of: dict[str, int]


class FleetArrays:
    """Every available unit of one fleet version as arrays, with snapped road nodes."""

    def __init__(self, units: list[Unit], snap_nodes: SnapNodes) -> None:
        self.units = units
        self.kinds = np.array([u.kind for u in units], dtype=str)
        self.has_fix = np.array(
            [u.lon is not None and u.lat is not None and u.last_fix_at is not None for u in units],
            dtype=bool,
        )
        self.fix_us = np.array(
            [_micros(u.last_fix_at) if u.last_fix_at is not None else 0 for u in units],
            dtype=np.int64,
        )
        self.station_lon = np.array([u.station_lon for u in units], dtype=float)
        self.station_lat = np.array([u.station_lat for u in units], dtype=float)
        self.fix_lon = np.where(
            self.has_fix, [u.lon if u.lon is not None else 0.0 for u in units], self.station_lon
        ).astype(float)
        self.fix_lat = np.where(
            self.has_fix, [u.lat if u.lat is not None else 0.0 for u in units], self.station_lat
        ).astype(float)
        self.station_node = snap_nodes(self.station_lon, self.station_lat)
        self.fix_node = snap_nodes(self.fix_lon, self.fix_lat)
        near = haversine_m(self.fix_lon, self.fix_lat, self.station_lon, self.station_lat)
        self.fix_at_station = ~self.has_fix | (near <= AT_STATION_M)
        self._selected: dict[frozenset[str], _Selection] = {}

    def _select(self, kinds: Collection[str]) -> _Selection:
        """The units of some kinds (computed once per set of kinds)."""
        key = frozenset(kinds)
        got = self._selected.get(key)
        if got is None:
            sel = np.nonzero(np.isin(self.kinds, list(key)))[0]
            sub = self.kinds[sel]
            units = [self.units[i] for i in sel.tolist()]
            got = _Selection(
                sel,
                units,
                {k: np.nonzero(sub == k)[0] for k in set(sub.tolist())},
                {u.unit_id: i for i, u in enumerate(units)},
            )
            self._selected[key] = got
        return got

    def select(
        self,
        kinds: Collection[str],
        now: datetime,
        lon: float,
        lat: float,
        *,
        stale_after_s: float,
        turnout_s: float,
    ) -> Snapshot:
        """Units of some kinds, placed at their fix (or station when stale) at `now`."""
        got = self._select(kinds)
        sel = got.positions
        cutoff_us = _micros(now - timedelta(seconds=stale_after_s))
        stale = ~self.has_fix[sel] | (self.fix_us[sel] < cutoff_us)
        plon = np.where(stale, self.station_lon[sel], self.fix_lon[sel])
        plat = np.where(stale, self.station_lat[sel], self.fix_lat[sel])
        at_station = stale | self.fix_at_station[sel]
        return Snapshot(
            units=got.units,
            kinds=self.kinds[sel],
            nodes=np.where(stale, self.station_node[sel], self.fix_node[sel]).astype(np.int64),
            turnout_s=np.where(at_station, turnout_s, 0.0),
            distance_m=haversine_m(plon, plat, np.full_like(plon, lon), np.full_like(plat, lat)),
            stale=stale,
            by_kind=got.by_kind,
            index_of=got.index_of,
        )
