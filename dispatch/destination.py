"""Which emergency room a patient goes to: the ERs ranked by what the patient needs, the
drive from the scene and what each ER reported last (pure over plain values).

An ER is chosen in this order of trust:

1. capable (the needed capabilities, a designation fit for the severity), with a fresh
   status reporting beds still free after the patients already heading there;
2. capable, with a stale or no status: its beds are unknown, never counted on;
3. then 4. the same among the ERs that are not capable (when no capable one has room);
5. then 6. capable, then not, but full with the patients already heading there: a known
   full ER is the last resort.

An ER whose last report gave zero beds receives no patient until it reports again,
however old that report is. Within a tier, the nearest by drive time first, each patient
already heading there counting as ``penalty_s_per_incoming`` of drive (its current load).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from dispatch.hospitals import ErRules, Hospital

__all__ = ["ErReport", "Option", "assess", "rank"]


@dataclass(frozen=True, slots=True)
class ErReport:
    """An ER's last reported status: beds free and capabilities available then."""

    at: datetime
    beds_available: int
    capabilities: Mapping[str, bool | None] = field(default_factory=dict)


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
    if closed:
        tier = 9
    elif free is None or free > 0:
        tier = (0 if free is not None else 1) + (0 if capable else 2)
    else:
        tier = 4 if capable else 5
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
    return Option(
        hospital=hospital,
        drive_s=drive_s,
        capable=capable,
        missing=tuple(missing),
        beds_available=beds,
        beds_free=free,
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
