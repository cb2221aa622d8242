"""Unit recommendation against the golden time: pure decision over candidate ETAs."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from dispatch.coverage import CoverageState, UnitSite
from dispatch.run_cards import RunCard

__all__ = ["Candidate", "Policy", "Recommendation", "UnitPick", "recommend"]


@dataclass(frozen=True)
class Candidate:
    """An idle unit that could go: road ETA to the scene (turnout included), its median,
    and the 90th percentile when the travel model gives a spread."""

    unit_id: str
    kind: str
    eta_s: float
    distance_m: float = math.nan
    station_id: str = ""
    stale: bool = False
    eta_p90_s: float | None = None

    @property
    def p90_s(self) -> float:
        """The ETA the golden-time check uses: its 90th percentile (the median without one)."""
        return self.eta_s if self.eta_p90_s is None else self.eta_p90_s


@dataclass(frozen=True)
class Policy:
    """Knobs of the recommendation; `coverage_aware=False` is plain closest-by-ETA."""

    coverage_aware: bool = True
    # Near-equal first responders: all within golden time and this close to the best.
    tie_window_s: float = 180.0
    # Units that cannot be first on scene may come from this much farther to spare coverage.
    support_window_s: float = 300.0
    # When golden time is lost anyway for priority >= lost_call_min_priority, the first
    # unit may come from this much farther than the closest, to spare coverage.
    lost_call_window_s: float = 300.0
    lost_call_min_priority: int = 2
    # Coverage share worth one second of ETA when ranking near-equal candidates.
    share_per_s: float = 3e-5
    # Chance another unit is busy, for the expected-coverage loss (0: sole cover only).
    # The simulated Seoul day keeps about 0.13 of units busy (bench.golden_time), yet 0.4
    # measured slightly better there (late ratio 0.65 against 0.67 with 0.13): a pessimistic
    # value protects the cover of the busiest hours.
    busy_fraction: float = 0.4
    # On a predicted breach, send a substitute kind (run card `substitutes`) ahead.
    substitute_on_breach: bool = True
    substitute_min_gain_s: float = 30.0
    substitute_max_priority: int = 5
    # Also when the substitute misses the golden time too (costs coverage for little).
    substitute_when_lost: bool = False
    # A substitute whose absence would uncover more than this share of the city stays home.
    substitute_max_loss: float = 0.005


@dataclass(frozen=True)
class UnitPick:
    """One unit in a recommendation.

    `distance_m` is the road distance when the route was asked for (`route` is then its
    GeoJSON LineString), else the straight-line distance to the scene. `eta_s` is the
    median ETA, `eta_p90_s` its 90th percentile (what `within_golden_time` is judged on).
    """

    unit_id: str
    kind: str
    eta_s: float
    distance_m: float
    within_golden_time: bool
    station_id: str = ""
    stale: bool = False
    first_responder: bool = False
    substitute_for: str | None = None
    route: dict[str, object] | None = field(default=None, compare=False)
    eta_p90_s: float | None = None


@dataclass(frozen=True)
class Recommendation:
    """Units to send, the predicted first arrival against golden time, and why."""

    incident_type: str
    priority: int
    golden_time_s: float
    units: tuple[UnitPick, ...]
    first_eta_s: float | None
    breach: bool
    breach_s: float
    unfilled: tuple[tuple[str, int], ...] = ()
    reasons: tuple[str, ...] = ()
    first_eta_p90_s: float | None = None

    @property
    def unit_ids(self) -> tuple[str, ...]:
        """Ids of the recommended units, in plan order."""
        return tuple(p.unit_id for p in self.units)

    @property
    def filled(self) -> bool:
        """Whether every unit on the card found a unit (or a substitute)."""
        return not self.unfilled


def _fill_order(card: RunCard) -> list[str]:
    """Kinds in fill order: clock-stopping kinds first, so first arrival is decided early."""
    slots = [k for k, n in card.units for _ in range(n)]
    return sorted(slots, key=lambda k: k not in card.clock_stoppers)


class _Picker:
    """Chooses units one slot at a time, spending coverage as it goes (restored after)."""

    def __init__(
        self,
        card: RunCard,
        candidates: Iterable[Candidate],
        budget_s: float,
        policy: Policy,
        coverage: CoverageState | None,
    ) -> None:
        self.card = card
        self.budget_s = budget_s
        self.policy = policy
        self.coverage = coverage if policy.coverage_aware else None
        self.by_kind: dict[str, list[Candidate]] = {}
        for c in sorted(candidates, key=lambda c: c.eta_s):
            if math.isfinite(c.eta_s):
                self.by_kind.setdefault(c.kind, []).append(c)
        self.taken: set[str] = set()
        self.picks: list[tuple[Candidate, str | None]] = []
        self.spent: list[UnitSite | None] = []
        self.reasons: list[str] = []

    def first_eta(self) -> float:
        etas = [c.eta_s for c, _ in self.picks if c.kind in self.card.clock_stoppers]
        etas += [c.eta_s for c, sub in self.picks if sub in self.card.clock_stoppers]
        return min(etas, default=math.inf)

    def first_eta_p90(self) -> float:
        """The 90th-percentile ETA of the clock stoppers: what the golden time is judged on."""
        stop = self.card.clock_stoppers
        etas = [c.p90_s for c, sub in self.picks if c.kind in stop or sub in stop]
        return min(etas, default=math.inf)

    def options(self, kinds: Sequence[str]) -> list[Candidate]:
        out = [c for k in kinds for c in self.by_kind.get(k, ()) if c.unit_id not in self.taken]
        if len(kinds) == 1:  # one kind's list is already in (stable) ETA order
            return out
        return sorted(out, key=lambda c: c.eta_s)

    def window(self, best: Candidate, decides_first: bool) -> float:
        """Latest ETA still acceptable for this slot."""
        p = self.policy
        if not decides_first:
            return best.eta_s + p.support_window_s
        if best.eta_s <= self.budget_s:
            return min(self.budget_s, best.eta_s + p.tie_window_s)
        if self.card.priority >= p.lost_call_min_priority:
            return best.eta_s + p.lost_call_window_s
        return best.eta_s

    def choose(self, options: list[Candidate], decides_first: bool) -> Candidate:
        best = options[0]
        if self.coverage is None:
            return best
        limit = self.window(best, decides_first)
        eligible = [c for c in options if c.eta_s <= limit]
        cov = self.coverage

        q = self.policy.busy_fraction

        def cost(c: Candidate) -> float:
            return cov.loss_if_removed(c.unit_id, q) + self.policy.share_per_s * (
                c.eta_s - best.eta_s
            )

        chosen = min(eligible, key=cost)
        if chosen is not best:
            self.reasons.append(
                f"{chosen.unit_id} preferred over {best.unit_id} "
                f"(+{chosen.eta_s - best.eta_s:.0f} s): "
                f"costs {100 * cov.loss_if_removed(chosen.unit_id, q):.2f}% of the city's "
                f"golden-time cover instead of {100 * cov.loss_if_removed(best.unit_id, q):.2f}%"
            )
        return chosen

    def take(self, c: Candidate, substitute_for: str | None) -> None:
        self.taken.add(c.unit_id)
        self.picks.append((c, substitute_for))
        if self.coverage is not None:
            self.spent.append(self.coverage.remove(c.unit_id))

    def restore(self) -> None:
        if self.coverage is not None:
            for site in reversed(self.spent):  # last taken first: back to the same state
                if site is not None:
                    self.coverage.add(site)


def recommend(
    card: RunCard,
    candidates: Iterable[Candidate],
    *,
    coverage: CoverageState | None = None,
    policy: Policy | None = None,
    elapsed_s: float = 0.0,
) -> Recommendation:
    """Fill a run card from candidate units and check the first arrival against golden time.

    `elapsed_s` is the time already spent since the call; `coverage` (left unchanged)
    enables the coverage-aware choice between near-equal candidates.
    """
    policy = policy or Policy()
    budget_s = card.golden_time_s - elapsed_s
    pk = _Picker(card, candidates, budget_s, policy, coverage)
    unfilled: dict[str, int] = {}
    try:
        for kind in _fill_order(card):
            options = pk.options([kind])
            sub_for: str | None = None
            if not options:
                options = pk.options(card.substitutes_for(kind))
                sub_for = kind
            if not options:
                unfilled[kind] = unfilled.get(kind, 0) + 1
                continue
            decides_first = (
                kind in card.clock_stoppers or options[0].kind in card.clock_stoppers
            ) and options[0].eta_s < pk.first_eta()
            chosen = pk.choose(options, decides_first)
            if sub_for is not None:
                pk.reasons.append(f"no {kind} available: {chosen.kind} {chosen.unit_id} stands in")
            pk.take(chosen, sub_for)
        first = pk.first_eta()
        if (
            policy.substitute_on_breach
            and pk.first_eta_p90() > budget_s
            and card.priority <= policy.substitute_max_priority
        ):
            _add_first_responder(card, pk, first)
            first = pk.first_eta()
        first_p90 = pk.first_eta_p90()
    finally:
        pk.restore()
    return _result(card, pk, first, first_p90, budget_s, unfilled)


def _add_first_responder(card: RunCard, pk: _Picker, first: float) -> None:
    """On a predicted breach, add a substitute kind as first responder if it is clearly earlier.

    Among substitutes that make the golden time, the coverage-aware policy takes the one
    whose absence costs least; when none makes it, the fastest is sent only if
    `substitute_when_lost`.
    """
    p = pk.policy
    lead = [k for k, _ in card.units if k in card.clock_stoppers]
    for kind in lead:
        subs = [
            c
            for c in pk.options(card.substitutes_for(kind))
            if c.eta_s <= first - p.substitute_min_gain_s
        ]
        if not subs:
            continue
        in_time = [c for c in subs if c.p90_s <= pk.budget_s]
        if pk.coverage is not None:
            cov = pk.coverage
            in_time = [
                c for c in in_time if cov.loss_if_removed(c.unit_id) <= p.substitute_max_loss
            ]
        if in_time:
            sub = pk.choose(in_time, decides_first=True)
        elif p.substitute_when_lost:
            sub = subs[0]
        else:
            continue
        pk.reasons.append(
            f"no {kind} within golden time (first arrival {first:.0f} s, "
            f"p90 {pk.first_eta_p90():.0f} s > "
            f"{card.golden_time_s:.0f} s): {sub.kind} {sub.unit_id} sent as first "
            f"responder, ETA {sub.eta_s:.0f} s"
        )
        pk.take(sub, kind)
        return


def _result(
    card: RunCard,
    pk: _Picker,
    first: float,
    first_p90: float,
    budget_s: float,
    unfilled: dict[str, int],
) -> Recommendation:
    reasons = list(card.notes)
    picks: list[UnitPick] = []
    first_id: str | None = None
    stoppers = [
        (c.eta_s, c.unit_id)
        for c, sub in pk.picks
        if c.kind in card.clock_stoppers or sub in card.clock_stoppers
    ]
    if stoppers:
        first_id = min(stoppers)[1]
    for c, sub in pk.picks:
        picks.append(
            UnitPick(
                unit_id=c.unit_id,
                kind=c.kind,
                eta_s=c.eta_s,
                distance_m=c.distance_m,
                within_golden_time=c.p90_s <= budget_s,
                station_id=c.station_id,
                stale=c.stale,
                first_responder=c.unit_id == first_id,
                substitute_for=sub,
                eta_p90_s=c.eta_p90_s,
            )
        )
        if c.stale:
            reasons.append(f"{c.unit_id}: no recent position fix, ETA from its station")
    breach_s = max(0.0, first_p90 - budget_s) if math.isfinite(first_p90) else math.inf
    breach = breach_s > 0
    if breach and math.isfinite(first):
        spread = f" (p90 {first_p90:.0f} s)" if first_p90 != first else ""
        reasons.append(
            f"golden time breach predicted: first unit in {first:.0f} s{spread}, "
            f"{breach_s:.0f} s over the {budget_s:.0f} s left"
        )
    elif not math.isfinite(first):
        reasons.append("no unit able to stop the golden-time clock is available")
    for kind, n in unfilled.items():
        reasons.append(f"plan not filled: {n} × {kind} missing")
    reasons.extend(pk.reasons)
    return Recommendation(
        incident_type=card.incident_type,
        priority=card.priority,
        golden_time_s=card.golden_time_s,
        units=tuple(picks),
        first_eta_s=first if math.isfinite(first) else None,
        first_eta_p90_s=first_p90 if math.isfinite(first_p90) else None,
        breach=breach,
        breach_s=breach_s,
        unfilled=tuple(unfilled.items()),
        reasons=tuple(reasons),
    )
