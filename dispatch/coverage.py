"""Golden-time coverage of the city by idle units, kept incrementally for fast what-ifs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["CoverageState", "UnitSite"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IndexArray = npt.NDArray[np.intp]
UNDO_DEPTH = 256  # remembered changes per kind (older ones are forgotten, never wrong)
LOSS_MEMO_SIZE = 100_000


@dataclass(frozen=True)
class UnitSite:
    """An idle unit counted for coverage at a site (its station or a move-up post)."""

    unit_id: str
    kind: str
    site_id: str


class CoverageState:
    """How many idle units of each kind reach each demand point within that kind's target.

    `site_times[site]` is the travel time from a site to every demand point (from
    `geo`'s `times_from`); `within_s[kind]` is the reach target of a kind (kinds not
    listed are not counted); `weights` are demand shares per point (uniform by default).
    """

    def __init__(
        self,
        site_times: Mapping[str, FloatArray],
        within_s: Mapping[str, float],
        weights: FloatArray | None = None,
    ) -> None:
        if not site_times:
            raise ValueError("coverage needs at least one site")
        n = len(next(iter(site_times.values())))
        w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
        if len(w) != n or w.sum() <= 0:
            raise ValueError("weights must match the demand points and sum to more than 0")
        self.weights: FloatArray = w / w.sum()
        self.within_s = dict(within_s)
        self.site_times = site_times
        self._reach: dict[tuple[str, float], BoolArray] = {}
        self._counts: dict[str, npt.NDArray[np.int32]] = {
            kind: np.zeros(n, dtype=np.int32) for kind in self.within_s
        }
        self._units: dict[str, UnitSite] = {}
        self._version = 0
        # An id per kind for the multiset of counted sites: a change that undoes the last
        # one (a unit put back where it was just taken from) returns to the previous id,
        # so losses remembered for that state are found again.
        self._state: dict[str, int] = dict.fromkeys(self.within_s, 0)
        self._next_state = 1
        self._undo: dict[str, list[tuple[bool, str, str, int]]] = {k: [] for k in self.within_s}
        self._reach_idx: dict[tuple[str, float], tuple[IndexArray, FloatArray]] = {}
        self._loss: dict[tuple[str, str, float, int], float] = {}

    @property
    def version(self) -> int:
        """A counter bumped whenever a unit is counted or uncounted."""
        return self._version

    def _changed(self, kind: str, added: bool, unit_id: str, site_id: str) -> None:
        self._version += 1
        undo = self._undo[kind]
        if undo and undo[-1][:3] == (not added, unit_id, site_id):
            self._state[kind] = undo.pop()[3]
            return
        undo.append((added, unit_id, site_id, self._state[kind]))
        if len(undo) > UNDO_DEPTH:
            del undo[: len(undo) // 2]
        self._state[kind] = self._next_state
        self._next_state += 1

    @property
    def n_points(self) -> int:
        """Number of demand points."""
        return len(self.weights)

    def sites(self) -> list[str]:
        """Ids of every site that has travel times."""
        return list(self.site_times)

    def reach(self, site_id: str, kind: str) -> BoolArray:
        """Demand points a unit of a kind at a site reaches within the kind's target."""
        key = (site_id, self.within_s[kind])
        got = self._reach.get(key)
        if got is None:
            got = np.asarray(self.site_times[site_id] <= key[1])
            self._reach[key] = got
        return got

    def add(self, unit: UnitSite) -> None:
        """Count an idle unit at its site (replacing its previous site if counted)."""
        self.remove(unit.unit_id)
        if unit.kind in self._counts and unit.site_id in self.site_times:
            self._counts[unit.kind] += self.reach(unit.site_id, unit.kind)
            self._units[unit.unit_id] = unit
            self._changed(unit.kind, True, unit.unit_id, unit.site_id)

    def remove(self, unit_id: str) -> UnitSite | None:
        """Stop counting a unit (it was dispatched); returns where it was counted."""
        unit = self._units.pop(unit_id, None)
        if unit is not None:
            self._counts[unit.kind] -= self.reach(unit.site_id, unit.kind)
            self._changed(unit.kind, False, unit.unit_id, unit.site_id)
        return unit

    def site_of(self, unit_id: str) -> UnitSite | None:
        """Where a unit is counted, None when it is not counted."""
        return self._units.get(unit_id)

    def unit_ids(self) -> set[str]:
        """Ids of every counted unit."""
        return set(self._units)

    def units(self) -> list[UnitSite]:
        """Every counted unit."""
        return list(self._units.values())

    def covered_share(self, kind: str) -> float:
        """Share of demand reached by at least one idle unit of a kind within its target."""
        if kind not in self._counts:
            return 1.0
        return float(self.weights[self._counts[kind] > 0].sum())

    def covered_mask(self, kind: str) -> BoolArray:
        """Demand points reached by at least one idle unit of a kind."""
        return np.asarray(self._counts[kind] > 0)

    def loss_if_removed(self, unit_id: str, busy_fraction: float = 0.0) -> float:
        """Expected share of demand losing golden-time cover if this unit left.

        With each other unit busy with probability `busy_fraction` (q), a point covered
        by k idle units loses q^(k-1)·(1-q) of its expected cover (MEXCLP, Daskin 1983;
        the DMEXCLP dispatch heuristic of Jagtenberg et al. 2017). q = 0 counts only the
        points this unit alone covers.
        """
        unit = self._units.get(unit_id)
        if unit is None:
            return 0.0
        # the loss depends on the unit's site and kind and on which sites count units of
        # that kind, not on which unit: remembered per (site, kind, q, state of the kind)
        key = (unit.site_id, unit.kind, busy_fraction, self._state[unit.kind])
        known = self._loss.get(key)
        if known is not None:
            return known
        idx, w = self._reach_index(unit.site_id, unit.kind)
        k = self._counts[unit.kind][idx]
        if busy_fraction <= 0.0:
            loss = float(w[k == 1].sum())
        else:
            q = busy_fraction
            loss = float(np.sum(w * q ** (k - 1.0) * (1.0 - q)))
        if len(self._loss) >= LOSS_MEMO_SIZE:
            self._loss.clear()
        self._loss[key] = loss
        return loss

    def _reach_index(self, site_id: str, kind: str) -> tuple[IndexArray, FloatArray]:
        """Indices and weights of the demand points of `reach(site_id, kind)`, computed once."""
        key = (site_id, self.within_s[kind])
        got = self._reach_idx.get(key)
        if got is None:
            idx = np.flatnonzero(self.reach(site_id, kind))
            got = (idx, self.weights[idx])
            self._reach_idx[key] = got
        return got

    def gain_if_added(self, kind: str, site_id: str) -> float:
        """Share of demand newly reached if an idle unit of a kind stood at a site."""
        if kind not in self._counts or site_id not in self.site_times:
            return 0.0
        new = (self._counts[kind] == 0) & self.reach(site_id, kind)
        return float(self.weights[new].sum())
