"""Call → emergency room for the golden-time benchmark: the day's EMS transports taken by
our destination choice (``dispatch.destination.rank`` on the ERs' reported status) and by
the nearest-ER rule, each against its own copy of the same simulated emergency rooms
(``scenarios.er_board``: the same beds, the same others' patients, the same reports).

The clock stops when the patient is handed over at an ER that can treat them: one whose
designation gives what the condition needs (``dispatch/emergency_rooms.toml``). Both rules
meet the same ERs on arrival: one that cannot treat the patient transfers them on (전원,
``TRANSFER_S``, then the drive to the nearest that can); one with no free bed refuses a
patient who is not critical (``REFUSAL_S``, then on to the next); a critical patient is
never refused, and a handover at an ER with no free bed is a capacity violation (the
patient held beyond its beds). ``er_sent_to_known_full`` counts the sends to an ER whose
last report (fresh, less the patients sent since) said it was full, or that reported zero.

Arrivals and status reports are taken in the order they happen, so each report counts an
ER's beds as they are at its own time (a patient handed over after it is not in it), and
both rules read the same reports; a patient turned away is not counted as heading to the
ER that turned it away. Ours does what the product does at each report
(``dispatch.diversion``): the ambulances on their way to that ER whose patient it can no
longer take are moved, from the road node they have reached, to the ER the ranking gives
(``er_diversions``); the nearest-ER rule drives on.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from dispatch.destination import ErReport, assess, observe, rank
from dispatch.diversion import Heading, divert_to, follow_report
from dispatch.hospitals import ErRules, Hospital, load_er_rules, registry
from geo import City, RoadGraph
from scenarios.er_board import ErBoard
from scenarios.patients import draw_patient

__all__ = ["TransportLeg", "call_to_er"]

TRANSFER_S = 1800.0
"""ASSUMPTION: an inter-hospital transfer (전원) from an ER that cannot treat the patient
takes 30 minutes before the second drive (triage, a call to find a receiving ER, an
ambulance to carry on); Korean door-in-door-out times for STEMI transfers are reported in
hours, so this is on the short side for the nearest-ER rule."""
DAY0 = datetime(2026, 11, 21, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class TransportLeg:
    """An ambulance leaving a scene with its patient: when the call came (s of day), the
    scene's road node, seconds from the call to leaving the scene and to reaching it, the
    incident type and a seed for the patient."""

    call_s: float
    node: int
    leave_after_s: float
    scene_after_s: float
    incident_type: str
    seed: int


REFUSAL_S = 600.0
"""ASSUMPTION: an ER with no free bed refuses a patient who is not critical (수용 곤란); the
crew loses 10 minutes at its door and on the phone before driving on to the next (the
재이송 that 119 statistics count), and the nearest-ER rule then takes the nearest ER it has
not tried that can treat the patient. A critical patient is never refused: held beyond
the beds (a capacity violation)."""
MAX_TRIES = 5
"""After this many ERs a patient is held wherever the crew is."""


@dataclass
class _Patient:
    call_s: float
    condition: str
    severity: str
    needs: tuple[str, ...]
    stay_s: float
    tried: set[str] = field(default_factory=set)
    first_s: float | None = None
    diverted_from: set[str] = field(default_factory=set)
    leg: tuple[int, float, int] = (0, 0.0, 0)
    """The drive it is on: the road node it left from, when, and its event's number."""


@dataclass
class _Strategy:
    """One destination rule against its own copy of the emergency rooms."""

    name: str
    board: ErBoard
    hospitals: dict[str, Hospital]
    ids: list[str]
    between: np.ndarray  # [to hospital, from hospital] drive seconds
    rules: ErRules
    roads: RoadGraph
    to_er: np.ndarray  # [hospital, node] drive seconds
    nodes: list[int]  # each hospital's road node
    diverts: bool = False
    """Follows each ER report over the patients on their way there (the product's
    ``dispatch.diversion``); the nearest-ER rule does not."""
    diversions: int = 0
    times: list[float] = field(default_factory=list)
    first: list[float] = field(default_factory=list)
    transfers: int = 0
    refusals: int = 0
    known_full: int = 0
    reports: dict[str, ErReport] = field(default_factory=dict)
    sent: list[tuple[str, float]] = field(default_factory=list)  # (hospital, arrival s)
    events: list[tuple[float, int, str, _Patient]] = field(default_factory=list)
    seq: int = 0

    @property
    def over_capacity(self) -> int:
        return self.board.over_capacity

    def choose(self, p: _Patient, drive: dict[str, float], now_s: float) -> str:
        """The ER this rule takes the patient to, from where the crew is."""
        left = {h: t for h, t in drive.items() if h not in p.tried}
        if self.name == "nearest_er":
            if p.tried:  # refused once: the nearest the crew has not tried that can treat
                able = {h: t for h, t in left.items() if self.capable(h, p)}
                left = able or left
            return min(left, key=left.__getitem__)
        now = DAY0 + timedelta(seconds=now_s)
        hospitals = {h: self.hospitals[h] for h in left}
        options = rank(p.condition, p.severity, left, hospitals, self.reports,
                       self.incoming(now_s), now, self.rules, limit=1)  # fmt: skip
        return options[0].hospital.id if options else min(left, key=left.__getitem__)

    def capable(self, hid: str, p: _Patient) -> bool:
        """Whether an ER can treat the patient (as ``dispatch.destination`` judges it)."""
        h = self.hospitals[hid]
        if p.needs:
            return all(c in h.capabilities for c in p.needs)
        return h.rank <= self.rules.max_rank[p.severity]

    def go(self, p: _Patient, hid: str, at_s: float, now_s: float, node: int) -> None:
        """Send the patient on to ``hid`` (arriving ``at_s``, driving from road ``node``),
        counting a send to an ER its last fresh report (less the patients sent since)
        says is full."""
        report = self.reports.get(hid)
        if report is not None:
            age_s = now_s - (report.at - DAY0).total_seconds()
            free = report.beds_available - self.incoming(now_s).get(hid, 0)
            if report.beds_available == 0 or (age_s <= self.rules.stale_after_s and free <= 0):
                self.known_full += 1
        self.seq += 1
        self.sent.append((hid, at_s))
        p.leg = (node, at_s - float(self.to_er[self.ids.index(hid), node]), self.seq)
        heapq.heappush(self.events, (at_s, self.seq, hid, p))

    def until(self, now_s: float) -> None:
        """Every arrival (handover, refusal or transfer) and status report by ``now_s``, in
        the order they happen: a report counts the beds as they are at its own time."""
        while True:
            arrival_s = self.events[0][0] if self.events else math.inf
            report_s = self.board.next_report_s()
            if min(arrival_s, report_s) > now_s:
                return
            if arrival_s <= report_s:
                at_s, _, hid, p = heapq.heappop(self.events)
                self.arrive(hid, at_s, p)
            else:
                self.until_reports(report_s)

    def arrive(self, hid: str, at_s: float, p: _Patient) -> None:
        if p.first_s is None:
            p.first_s = at_s
            self.first.append(at_s - p.call_s)
        p.tried.add(hid)
        i = self.ids.index(hid)
        from_here = {h: float(self.between[k, i]) for k, h in enumerate(self.ids)}
        last = len(p.tried) >= min(MAX_TRIES, len(self.ids))
        if not self.capable(hid, p) and not last:  # transferred on once stabilised
            self.transfers += 1
            self.board.admit(hid, at_s, TRANSFER_S)
            able = {h: t for h, t in from_here.items() if self.capable(h, p) and h not in p.tried}
            if able:
                nxt = min(able, key=able.__getitem__)
                self.go(p, nxt, at_s + TRANSFER_S + able[nxt], at_s, self.nodes[i])
                return
        elif self.board.free(hid, at_s) <= 0 and p.severity != "critical" and not last:
            self.refusals += 1
            self.sent.remove((hid, at_s))  # turned away: it takes no bed there
            self.until_reports(at_s)
            nxt = self.choose(p, from_here, at_s)
            self.go(p, nxt, at_s + REFUSAL_S + from_here[nxt], at_s, self.nodes[i])
            return
        self.board.admit(hid, at_s, p.stay_s)
        self.times.append(at_s - p.call_s)

    def until_reports(self, now_s: float) -> None:
        """Read the status reports due by ``now_s``."""
        for at_s, value in self.board.reports(now_s):
            hid = value["hospital_id"]
            report = ErReport(
                DAY0 + timedelta(seconds=at_s), value["beds_available"], value["capabilities"]
            )
            before = self.reports.get(hid)
            since_s = -math.inf if before is None else (before.at - DAY0).total_seconds()
            delivered = sum(1 for h, a in self.sent if h == hid and since_s < a <= at_s)
            self.reports[hid] = observe(before, report, delivered, self.rules)
            if self.diverts:
                self.follow(hid, at_s)

    def follow(self, hid: str, now_s: float) -> None:
        """An ER's new report over the patients on their way there (``follow_report``):
        each it can no longer take is moved to the ER ``divert_to`` gives, from where the
        ambulance is on its route, when there is one."""
        now = DAY0 + timedelta(seconds=now_s)
        report = self.reports[hid]
        on_way = {e[1]: e for e in self.events if e[2] == hid}
        heading = [
            Heading(
                str(seq),
                at_s - now_s,
                p.needs,
                movable=p.leg[1] <= now_s,
                diversions=len(p.diverted_from),
            )
            for seq, (at_s, _, _, p) in on_way.items()
        ]

        def move(h: Heading, cause: str, ahead: int) -> bool:
            at_s, seq, _, p = on_way[int(h.key)]
            node = self.position(p, hid, now_s)
            left = {
                k: float(self.to_er[i, node])
                for i, k in enumerate(self.ids)
                if k != hid and k not in p.tried and k not in p.diverted_from
            }
            others = rank(p.condition, p.severity, left, {k: self.hospitals[k] for k in left},
                          self.reports, self.incoming(now_s), now, self.rules, limit=1)  # fmt: skip
            current = assess(self.hospitals[hid], h.remaining_s, report, ahead, p.needs,
                             p.severity, now, self.rules)  # fmt: skip
            choice = divert_to(current, others)
            if choice is None:
                return False
            self.events = [e for e in self.events if e[1] != seq]
            heapq.heapify(self.events)
            self.sent.remove((hid, at_s))
            new = choice.hospital.id
            p.diverted_from.add(hid)
            self.go(p, new, now_s + left[new], now_s, node)
            self.diversions += 1
            return True

        follow_report(report, heading, 0, now, self.rules, move)

    def position(self, p: _Patient, hid: str, now_s: float) -> int:
        """The road node an ambulance on its way to ``hid`` has last passed."""
        start, depart_s, _ = p.leg
        route = self.roads.route(start, self.nodes[self.ids.index(hid)])
        if route is None:
            return start
        node, elapsed = start, depart_s
        for a, b in zip(route.nodes, route.nodes[1:], strict=False):
            elapsed += self.roads.edge_time_s(a, b)
            if elapsed > now_s:
                break
            node = b
        return node

    def incoming(self, now_s: float) -> dict[str, int]:
        """Patients sent to each ER not yet counted in its last report."""
        self.sent = [(h, a) for h, a in self.sent if a > now_s - 3 * 3600]
        out: dict[str, int] = {}
        for hid, arrive_s in self.sent:
            report = self.reports.get(hid)
            if report is None or arrive_s > (report.at - DAY0).total_seconds():
                out[hid] = out.get(hid, 0) + 1
        return out


def call_to_er(
    city: City, roads: RoadGraph, legs: Sequence[TransportLeg], seed: int
) -> dict[str, Any]:
    """Ours and the nearest-ER rule over the same transports: call → ER able to treat (and
    → first ER), transfers, refusals and capacity violations, as the benchmark's JSON."""
    rules = load_er_rules()
    hospitals = registry(city.facilities, rules)
    ids = sorted(hospitals)
    nodes = [roads.snap(hospitals[h].lon, hospitals[h].lat).node for h in ids]
    to_er = np.stack([roads.times_to(int(n)) for n in nodes])  # [hospital, node]
    between = to_er[:, nodes]  # [to hospital, from hospital]
    runs = [
        _Strategy(
            name,
            ErBoard(hospitals, seed),
            hospitals,
            ids,
            between,
            rules,
            roads,
            to_er,
            nodes,
            diverts=name == "ours",
        )
        for name in ("ours", "nearest_er")
    ]
    for leg in sorted(legs, key=lambda g: g.call_s + g.leave_after_s):
        now_s = leg.call_s + leg.leave_after_s
        drawn = draw_patient(leg.incident_type, random.Random(leg.seed))
        stay_s = runs[0].board.draw_stay_s(random.Random(leg.seed + 1))
        drive = {h: float(to_er[i, leg.node]) for i, h in enumerate(ids)}
        for run in runs:
            run.until(now_s)
            p = _Patient(leg.call_s, drawn.condition, drawn.severity,
                         rules.needs_of(drawn.condition), stay_s)  # fmt: skip
            hid = run.choose(p, drive, now_s)
            run.go(p, hid, now_s + drive[hid], now_s, leg.node)
    end_s = max((g.call_s + g.leave_after_s for g in legs), default=0.0) + 6 * 3600
    for run in runs:
        run.until(end_s)  # every patient handed over
    return _report(runs, legs)


def _pct(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 1) if values else None


def _report(runs: list[_Strategy], legs: Sequence[TransportLeg]) -> dict[str, Any]:
    ours, nearest = runs
    scene = [g.scene_after_s for g in legs]
    return {
        "call_to_er_p50_s": {r.name: _pct(r.times, 50) for r in runs},
        "call_to_er_p90_s": {r.name: _pct(r.times, 90) for r in runs},
        "call_to_first_er_p50_s": {r.name: _pct(r.first, 50) for r in runs},
        "call_to_first_er_p90_s": {r.name: _pct(r.first, 90) for r in runs},
        "call_to_scene_p50_s": _pct(scene, 50),
        "call_to_scene_p90_s": _pct(scene, 90),
        "er_capacity_violations": {r.name: r.over_capacity for r in runs},
        "er_transfers": {r.name: r.transfers for r in runs},
        "er_refusals": {r.name: r.refusals for r in runs},
        "er_sent_to_known_full": {r.name: r.known_full for r in runs},
        "er_diversions": {r.name: r.diversions for r in runs},
        "er_transports": len(legs),
        "call_to_er_ratio_p50": _ratio(ours.times, nearest.times, 50),
        "call_to_er_ratio_p90": _ratio(ours.times, nearest.times, 90),
    }


def _ratio(ours: list[float], base: list[float], q: float) -> float | None:
    if not ours or not base:
        return None
    return round(float(np.percentile(ours, q) / np.percentile(base, q)), 4)
