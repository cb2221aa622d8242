"""Mass-casualty distribution: a plan that spreads an incident's patients over emergency
rooms by severity, drive time and reported capacity (pure over plain values).

Each patient, most severe first, goes to the ER with the lowest cost among those whose
designation fits the severity and that still have room: its drive from the scene, plus
``spread_penalty_s`` for every patient already planned there (the nearest ER is not
overwhelmed), plus ``minor_at_centre_penalty_s`` for a minor patient at a centre (centre
beds are kept for the critical). Room is what the caller counts on (the dispatch stage:
the beds an ER's fresh status assures on the patients' arrival, after the patients already
heading there, ``dispatch.destination.room_on_arrival``): an ER is never planned past it,
and an ER with a stale or no status has no room at all. A patient a fitting ER cannot
take goes to any ER with room; one no ER has room for is unallocated.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from dispatch.hospitals import SEVERITIES, ErRules

__all__ = ["Room", "distribute", "split_untriaged"]

CENTRE_RANK = 2
"""권역응급의료센터 (1) and 지역응급의료센터 (2) are centres."""


@dataclass(frozen=True, slots=True)
class Room:
    """An ER as the plan sees it: drive from the scene, designation rank, beds it can take."""

    hospital_id: str
    drive_s: float
    rank: int
    capacity: int
    """Beds it can still take."""
    sent: int = 0
    """Patients of the incident already sent there (they weigh on the spread)."""


def split_untriaged(total: int, rules: ErRules) -> dict[str, int]:
    """Patients not yet triaged, split by the assumed severity shares (sums to ``total``).

    >>> from dispatch.hospitals import load_er_rules
    >>> split_untriaged(30, load_er_rules())
    {'critical': 6, 'serious': 9, 'minor': 15}
    """
    shares = {s: total * rules.untriaged_split[s] for s in SEVERITIES}
    counts = {s: math.floor(v) for s, v in shares.items()}
    for s in sorted(SEVERITIES, key=lambda s: counts[s] - shares[s])[
        : total - sum(counts.values())
    ]:
        counts[s] += 1
    return counts


def distribute(
    patients: Mapping[str, int], rooms: Sequence[Room], rules: ErRules
) -> tuple[dict[str, dict[str, int]], dict[str, int]]:
    """Plan ``patients`` (by severity) over ``rooms``: (hospital id → severity → count,
    severity → patients left unallocated)."""
    left = {r.hospital_id: max(0, r.capacity) for r in rooms}
    planned: dict[str, dict[str, int]] = {}
    load = {r.hospital_id: max(0, r.sent) for r in rooms}
    unallocated = dict.fromkeys(SEVERITIES, 0)
    reachable = [r for r in rooms if math.isfinite(r.drive_s)]
    for severity in SEVERITIES:
        fit = rules.max_rank.get(severity, 4)
        for _ in range(max(0, patients.get(severity, 0))):
            open_rooms = [r for r in reachable if left[r.hospital_id] > 0]
            fitting = [r for r in open_rooms if r.rank <= fit] or open_rooms
            if not fitting:
                unallocated[severity] += 1
                continue

            def cost(room: Room, severity: str = severity) -> tuple[float, str]:
                extra = rules.spread_penalty_s * load[room.hospital_id]
                if severity == "minor" and room.rank <= CENTRE_RANK:
                    extra += rules.minor_at_centre_penalty_s
                return room.drive_s + extra, room.hospital_id

            best = min(fitting, key=cost)
            left[best.hospital_id] -= 1
            load[best.hospital_id] += 1
            counts = planned.setdefault(best.hospital_id, dict.fromkeys(SEVERITIES, 0))
            counts[severity] += 1
    return planned, unallocated
