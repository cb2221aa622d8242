"""En-route diversion: when an emergency room's new report says it can no longer take a
patient already heading there, the patient is recommended another ER (pure over plain
values).

A new report is followed over the patients heading to its ER, in the order they will
arrive (those on the road by their drive left, then those still on scene); the patients
handed over there since the report's time come first (their beds are taken). The ER can
no longer take a patient when the report says a capability the patient needs is
unavailable now (``capability_lost``), when it reports zero beds (``zero_beds``: it
receives nobody until it reports again), or when the beds projected at the patient's
arrival (``dispatch.destination.beds_on_arrival``, over the report's age plus the drive
left), less the patients ahead of it, fall below one (``no_bed_on_arrival``). A patient
who still goes there counts as ahead of those behind it.

Not flapping. A patient is sent where its bed is assured at ``arrival.z`` (1.64 standard
deviations: one-sided 95 %); it is moved only when its bed is no longer sure at the lower
bar ``arrival.divert_z`` (1 sd: 84 %). Between the two bars a change of a bed or two moves
nobody. It is moved only to an ER that ranks in a better tier
(``dispatch.destination``) than the one it is heading to now has for it (never from one
uncertain bed to another), never back to an ER it was moved from (the caller leaves
those out of the ranking), and at most ``arrival.max_diversions`` times. A report older
than the stated maximum age moves nobody.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from dispatch.destination import ErReport, Option, beds_on_arrival
from dispatch.hospitals import ErRules

__all__ = ["DIVERSION_CAUSES", "Heading", "cannot_take", "divert_to", "follow_report"]

DIVERSION_CAUSES = ("capability_lost", "zero_beds", "no_bed_on_arrival")


@dataclass(frozen=True, slots=True)
class Heading:
    """A patient heading to an ER: the caller's key for it, the drive left (from where the
    unit is; from the scene while it has not left), what it needs, how many patients, and
    whether it may be moved (an ER the crew chose against the recommendation is its own)."""

    key: str
    remaining_s: float
    needs: tuple[str, ...]
    count: int = 1
    movable: bool = True
    diversions: int = 0
    """Times it has been moved already (at most ``arrival.max_diversions``)."""
    left: bool = True
    """Whether its unit has left the scene: one still treating there arrives after every
    patient already on the road (its drive counts from a departure still to come), so it
    is the first to give up a bed, and moving it costs no turning round."""


def cannot_take(
    report: ErReport, heading: Heading, ahead: int, now: datetime, rules: ErRules
) -> str | None:
    """Why an ER, by its report, can no longer take a patient heading there with ``ahead``
    patients arriving before it (one of ``DIVERSION_CAUSES``); None while it can.

    >>> from datetime import UTC, datetime
    >>> from dispatch.hospitals import load_er_rules
    >>> now = datetime(2026, 11, 21, 13, tzinfo=UTC)
    >>> one_bed = ErReport(now, 1, {"pci": True}, var_per_s=0.0)
    >>> arrest = Heading("AMB-1", 300.0, ("pci",))
    >>> cannot_take(one_bed, arrest, 0, now, load_er_rules()) is None
    True
    >>> cannot_take(one_bed, arrest, 1, now, load_er_rules())
    'no_bed_on_arrival'
    """
    if any(report.capabilities.get(c) is False for c in heading.needs):
        return "capability_lost"
    if report.beds_available == 0:
        return "zero_beds"
    horizon_s = max(0.0, (now - report.at).total_seconds()) + heading.remaining_s
    if beds_on_arrival(report, ahead, horizon_s, rules, z=rules.divert_z) < 1.0:
        return "no_bed_on_arrival"
    return None


def follow_report(
    report: ErReport,
    heading: Sequence[Heading],
    handed_over: int,
    now: datetime,
    rules: ErRules,
    move: Callable[[Heading, str, int], bool],
) -> int:
    """Follow an ER's new report over the patients heading there, first to arrive first:
    ``move`` is asked about each one the ER can no longer take (with why and the patients
    ahead of it) and answers whether the patient went elsewhere; how many did."""
    if (now - report.at).total_seconds() > rules.stale_after_s:
        return 0
    ahead, moved = max(0, handed_over), 0
    for h in sorted(heading, key=lambda h: (not h.left, h.remaining_s, h.key)):
        movable = h.movable and h.diversions < rules.max_diversions
        cause = cannot_take(report, h, ahead, now, rules) if movable else None
        if cause is not None and move(h, cause, ahead):
            moved += 1
            continue
        ahead += h.count
    return moved


def divert_to(current: Option, elsewhere: Sequence[Option]) -> Option | None:
    """The ER a patient is moved to: the best of the others (ranked from where the unit is)
    when it ranks in a better tier than its ER now has for it (``current``, assessed with
    the patients ahead of it); None: it stays."""
    best = next((o for o in elsewhere if o.hospital.id != current.hospital.id), None)
    return best if best is not None and best.tier < current.tier else None
