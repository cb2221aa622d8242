"""Which emergency room a patient goes to: the ERs ranked by what the patient needs, the
drive from the scene and what each ER reported last (pure over plain values).

An ER is chosen in this order of trust:

1. capable (the needed capabilities, a designation fit for the severity), with a fresh
   status whose beds are assured on arrival (below);
2. capable, with a fresh status of beds free now that may be gone when it arrives;
3. capable, with a stale or no status: its beds are unknown, never counted on;
4. to 6. the same among the ERs that are not capable (when no capable one has room);
7. then 8. capable, then not, but full with the patients already heading there: a known
   full ER is the last resort.

An ER whose last report gave zero beds receives no patient until it reports again,
however old that report is. Within a tier, the nearest by drive time first, each patient
already heading there counting as ``penalty_s_per_incoming`` of drive (its current load).

Beds assured on arrival. A report is a count at its time; until the patient arrives (the
report's age plus the drive) other patients — walk-ins, other services' — take and free
beds the system does not see. Each ER's beds are followed from report to report
(``observe``): how fast they have been filling (``fill_per_s``, the patients the system
handed over there in between left out, as they are counted as incoming) and how much
they move (``var_per_s``, the variance of the change per second, as for a random walk).
The beds on arrival are projected as the reported beds, less the patients heading there,
less the filling over the horizon (a recent emptying is not counted on), and are assured
when that projection stays at least one bed above ``arrival.z`` standard deviations of
the change over the horizon.

The same projection is what a mass-casualty plan counts on (``room_on_arrival``) and what
moves a patient already given an ER when its ER reports again (``dispatch.diversion``).

The trade-off. Passing by a nearer ER whose last beds are at risk costs drive time. It is
taken because a critical patient is never refused and, at an ER with no bed left, is held
beyond its beds (corridor care), while any other patient is refused at the door and loses
the drive on to the next ER. In the golden-time benchmark (``bench.er_arrival``, a full
day, three seeds), z = 1.64 against no margin takes our capacity violations from 2–8 to
0–3 and our refusals from 15–22 to 4–7, for 20–35 s more call → ER at the median and
35–60 s at the 90th percentile, still well ahead of the nearest-ER rule on both. A higher
bar (z = 2 or more) buys no fewer violations there: those left are an ER losing its last
beds at once, or the one ER that can treat the patient reporting late.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from dispatch.hospitals import ErRules, Hospital

__all__ = [
    "ErReport",
    "Option",
    "assess",
    "beds_on_arrival",
    "observe",
    "rank",
    "room_on_arrival",
]


@dataclass(frozen=True, slots=True)
class ErReport:
    """An ER's last reported status: beds free and capabilities available then."""

    at: datetime
    beds_available: int
    capabilities: Mapping[str, bool | None] = field(default_factory=dict)
    fill_per_s: float = 0.0
    """Beds taken per second by patients the system did not send, observed over recent
    reports (negative while the ER empties)."""
    var_per_s: float | None = None
    """Variance per second of the change in its beds over recent reports (None: not yet
    observed, ``arrival.prior_var_per_s`` is assumed)."""


def observe(
    previous: ErReport | None, report: ErReport, delivered: int, rules: ErRules
) -> ErReport:
    """A new report with its ER's fill rate and bed variability carried on from the one
    before; ``delivered`` is the patients the system handed over there between the two
    (their beds are the system's own, counted as incoming, not others' filling)."""
    if previous is None:
        return report
    dt = (report.at - previous.at).total_seconds()
    if dt <= 0:
        return replace(report, fill_per_s=previous.fill_per_s, var_per_s=previous.var_per_s)
    change = report.beds_available - previous.beds_available + delivered  # others' part
    dt = max(dt, rules.min_interval_s)  # a quick correction is not a fast turnover
    w = rules.arrival_weight
    var = rules.prior_var_per_s if previous.var_per_s is None else previous.var_per_s
    return replace(
        report,
        fill_per_s=w * (-change / dt) + (1 - w) * previous.fill_per_s,
        var_per_s=w * (change * change / dt) + (1 - w) * var,
    )


def beds_on_arrival(
    report: ErReport, incoming: int, horizon_s: float, rules: ErRules, z: float | None = None
) -> float:
    """The beds an ER can be counted on to have free ``horizon_s`` after its report: the
    reported beds, less the patients heading there, less its filling over the horizon,
    less ``z`` (``arrival.z`` unless given) standard deviations of the change (at least
    one must be left)."""
    horizon_s = max(0.0, horizon_s)
    var = rules.prior_var_per_s if report.var_per_s is None else report.var_per_s
    filled = max(0.0, report.fill_per_s) * horizon_s
    bar = rules.arrival_z if z is None else z
    return report.beds_available - incoming - filled - bar * math.sqrt(var * horizon_s)


def room_on_arrival(report: ErReport, incoming: int, horizon_s: float, rules: ErRules) -> int:
    """How many more patients an ER can be counted on to take ``horizon_s`` after its
    report: each one more is assured a bed as ``beds_on_arrival`` assures one.

    >>> from dispatch.hospitals import load_er_rules
    >>> from datetime import UTC, datetime
    >>> calm = ErReport(datetime(2026, 11, 21, tzinfo=UTC), 5, var_per_s=0.0)
    >>> room_on_arrival(calm, 1, 600.0, load_er_rules())
    4
    """
    beds = beds_on_arrival(report, incoming, horizon_s, rules)
    return max(0, math.floor(beds)) if math.isfinite(beds) else 0


@dataclass(frozen=True, slots=True)
class Option:
    """One ER as a destination for one patient, with why it ranks where it does."""

    hospital: Hospital
    drive_s: float
    capable: bool
    missing: tuple[str, ...]
    """Needed capabilities it lacks (or the designation the severity asks for)."""
    beds_available: int | None
    beds_free: int | None
    """Beds left after the patients already heading there (fresh status only)."""
    assured: bool
    """Beds free now are expected to still be free on arrival (``beds_on_arrival``)."""
    status_age_s: float | None
    stale: bool
    closed: bool
    """Its last report gave zero beds: it receives no patient until it reports again."""
    tier: int
    score_s: float
    reason: str


def _minutes(seconds: float) -> str:
    return f"{max(1, round(seconds / 60))}분"


def assess(
    hospital: Hospital,
    drive_s: float,
    report: ErReport | None,
    incoming: int,
    needs: tuple[str, ...],
    severity: str,
    now: datetime,
    rules: ErRules,
) -> Option:
    """How one ER serves one patient (see the module for the tiers)."""
    age_s = None if report is None else max(0.0, (now - report.at).total_seconds())
    stale = age_s is None or age_s > rules.stale_after_s
    missing = [c for c in needs if c not in hospital.capabilities]
    if report is not None and not stale:  # a fresh report of "unavailable now" wins
        missing += [c for c in needs if report.capabilities.get(c) is False and c not in missing]
    if not needs and hospital.rank > rules.max_rank.get(severity, 4):
        missing.append("센터급")  # a specific need is met by the capability, whatever the level
    capable = not missing
    beds = None if report is None else report.beds_available
    closed = beds == 0
    free = None if stale or beds is None else beds - incoming
    assured = (
        free is not None
        and report is not None
        and beds_on_arrival(report, incoming, (age_s or 0.0) + drive_s, rules) >= 1.0
    )
    if closed:
        tier = 9
    elif free is None or free > 0:
        tier = (0 if assured else 1 if free is not None else 2) + (0 if capable else 3)
    else:
        tier = 6 if capable else 7
    score = drive_s + rules.penalty_s_per_incoming * incoming
    words = [("·".join(needs).upper() + " 가능") if needs and capable else ""]
    if missing:
        words.append(f"{'·'.join(missing)} 불가")
    words.append(_minutes(drive_s))
    if closed:
        words.append("병상 0 보고 — 재보고 전까지 제외")
    elif age_s is None:
        words.append("현황 미보고")
    elif stale:
        words.append(f"현황 {_minutes(age_s)} 전 (오래됨) · 병상 미확인")
    else:
        words.append(f"병상 {free}" + (f" (이송 중 {incoming})" if incoming else ""))
        if free is not None and free > 0 and not assured:
            words.append("도착 시 병상 불확실")
    return Option(
        hospital=hospital,
        drive_s=drive_s,
        capable=capable,
        missing=tuple(missing),
        beds_available=beds,
        beds_free=free,
        assured=assured,
        status_age_s=age_s,
        stale=stale,
        closed=closed,
        tier=tier,
        score_s=score,
        reason=" · ".join(w for w in words if w),
    )


def rank(
    condition: str,
    severity: str,
    drive_s: Mapping[str, float],
    hospitals: Mapping[str, Hospital],
    reports: Mapping[str, ErReport],
    incoming: Mapping[str, int],
    now: datetime,
    rules: ErRules,
    limit: int = 10,
) -> list[Option]:
    """The reachable ERs that may receive the patient, best first (closed ERs never); the
    nearest is always listed, so that a crew sees what it would be passing by."""
    needs = rules.needs_of(condition)
    options = [
        assess(h, t, reports.get(hid), incoming.get(hid, 0), needs, severity, now, rules)
        for hid, h in hospitals.items()
        if math.isfinite(t := drive_s.get(hid, math.inf))
    ]
    options = [o for o in options if not o.closed]
    options.sort(key=lambda o: (o.tier, o.score_s, o.hospital.id))
    listed = options[:limit]
    if options and (nearest := min(options, key=lambda o: o.drive_s)) not in listed:
        listed.append(nearest)
    return listed
