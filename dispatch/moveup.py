"""Move-up suggestions: re-post an idle unit when a district is left without golden-time cover."""

from __future__ import annotations

from collections.abc import Callable, Container, Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from dispatch.coverage import CoverageState, UnitSite

__all__ = ["MoveUp", "district_cover", "suggest_move_ups", "suggest_returns"]

IndexArray = npt.NDArray[np.intp]


@dataclass(frozen=True)
class MoveUp:
    """Move an idle unit from one site to another to cover a district again."""

    unit_id: str
    kind: str
    from_site: str
    to_site: str
    district: str
    gain_share: float
    loss_share: float
    reason: str


def district_cover(
    coverage: CoverageState, kind: str, districts: Mapping[str, IndexArray]
) -> dict[str, float]:
    """Share of each district's demand reached by an idle unit of a kind within target."""
    covered = coverage.covered_mask(kind)
    out: dict[str, float] = {}
    for code, idx in districts.items():
        w = coverage.weights[idx]
        total = float(w.sum())
        out[code] = float(w[covered[idx]].sum()) / total if total > 0 else 1.0
    return out


def suggest_move_ups(
    coverage: CoverageState,
    kind: str,
    districts: Mapping[str, IndexArray],
    *,
    min_share: float = 0.5,
    max_moves: int = 2,
    min_net_share: float = 0.002,
    move_time_s: Callable[[str, str], float] | None = None,
    max_move_s: float = 900.0,
    movable: Container[str] | None = None,
    normal_share: Mapping[str, float] | None = None,
) -> list[MoveUp]:
    """Districts below `min_share` cover get the best site filled by the idle unit missed least.

    A move is suggested only when it gains more city cover than it loses (by
    `min_net_share`); `move_time_s(from_site, to_site)` bounds how far a unit is moved;
    `movable` limits which units may move (default: any counted unit of the kind).
    With `normal_share` (each district's cover with the whole fleet home, from
    `district_cover`), a district is low when below `min_share` of its normal cover, so
    districts that no station reaches well are not chased. `coverage` is left unchanged.
    """
    shares = district_cover(coverage, kind, districts)
    normal = normal_share or {}
    low = sorted(
        (s, d) for d, s in shares.items() if s < min_share * normal.get(d, 1.0) and s < 1.0
    )
    moves: list[MoveUp] = []
    applied: list[tuple[UnitSite, UnitSite]] = []
    try:
        for _, code in low:
            if len(moves) >= max_moves:
                break
            move = _best_move(coverage, kind, districts[code], min_net_share, movable)
            if move is None:
                continue
            unit, to_site, gain, loss = move
            if move_time_s is not None and move_time_s(unit.site_id, to_site) > max_move_s:
                continue
            moves.append(
                MoveUp(
                    unit_id=unit.unit_id,
                    kind=kind,
                    from_site=unit.site_id,
                    to_site=to_site,
                    district=code,
                    gain_share=gain,
                    loss_share=loss,
                    reason=(
                        f"district {code} has {100 * shares[code]:.0f}% {kind} cover: move "
                        f"{unit.unit_id} {unit.site_id} -> {to_site} "
                        f"(+{100 * gain:.1f}% / -{100 * loss:.1f}% of the city)"
                    ),
                )
            )
            new = UnitSite(unit.unit_id, kind, to_site)
            coverage.add(new)
            applied.append((unit, new))
    finally:
        for old, _ in reversed(applied):
            coverage.add(old)
    return moves


def _best_move(
    coverage: CoverageState,
    kind: str,
    idx: IndexArray,
    min_net_share: float,
    movable: Container[str] | None,
) -> tuple[UnitSite, str, float, float] | None:
    """Best (unit, target site, gain, loss) for one district, or None when none pays."""
    uncovered = ~coverage.covered_mask(kind)
    holes = idx[uncovered[idx]]
    if len(holes) == 0:
        return None
    w = coverage.weights
    best_site, best_local = None, 0.0
    for site in coverage.sites():
        local = float(w[holes][coverage.reach(site, kind)[holes]].sum())
        if local > best_local:
            best_site, best_local = site, local
    if best_site is None:
        return None
    gain = coverage.gain_if_added(kind, best_site)
    donors = [
        u
        for u in coverage.units()
        if u.kind == kind and u.site_id != best_site and (movable is None or u.unit_id in movable)
    ]
    if not donors:
        return None
    losses = [(coverage.loss_if_removed(u.unit_id), u.unit_id, u) for u in donors]
    loss, _, donor = min(losses)
    if gain - loss < min_net_share:
        return None
    return donor, best_site, gain, loss


def suggest_returns(
    coverage: CoverageState,
    homes: Mapping[str, str],
    *,
    movable: Container[str] | None = None,
) -> list[MoveUp]:
    """Units posted away from home that should go home: home gains at least what the post loses.

    `homes` maps unit id to home site. `coverage` is left unchanged.
    """
    moves: list[MoveUp] = []
    for unit in coverage.units():
        home = homes.get(unit.unit_id)
        if home is None or home == unit.site_id:
            continue
        if movable is not None and unit.unit_id not in movable:
            continue
        loss = coverage.loss_if_removed(unit.unit_id)
        gain = coverage.gain_if_added(unit.kind, home)
        if gain >= loss:
            moves.append(
                MoveUp(
                    unit_id=unit.unit_id,
                    kind=unit.kind,
                    from_site=unit.site_id,
                    to_site=home,
                    district="",
                    gain_share=gain,
                    loss_share=loss,
                    reason=(
                        f"{unit.unit_id} back home {unit.site_id} -> {home} "
                        f"(+{100 * gain:.1f}% / -{100 * loss:.1f}% of the city)"
                    ),
                )
            )
    return moves
