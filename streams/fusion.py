"""Fusion: which open incident a piece of evidence belongs to, and what it changes.

Pure functions over plain values; the worker stores the results.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from streams import patients
from streams.contract import EvidenceRef, Incident, IncidentStatus, IncidentType, Position
from streams.pairs import PAIRS
from streams.triage import BASE_PRIORITY, GOLDEN_TIME_S

if TYPE_CHECKING:  # evidence reads the caller's words with these rules (streams.words)
    from streams.evidence import Evidence

T = IncidentType

JOIN_RADIUS_M: dict[IncidentType, float] = {
    T.FIRE: 250,
    T.CROWD: 300,
    T.MEDICAL: 150,
    T.CARDIAC_ARREST: 100,
    T.TRAFFIC: 200,
    T.RESCUE: 200,
    T.COLLAPSE: 300,
    T.HAZMAT: 500,
    T.GAS_LEAK: 300,
    T.FLOOD: 1000,
    T.STRUCTURAL: 500,
    T.EARTHQUAKE: 5000,
    T.OTHER: 100,
}
"""How far evidence may be from an incident and still be the same emergency (a building
fire is seen and reported from a block away; a crowd crush spans an alley; a flood a district)."""

JOIN_WINDOW = timedelta(minutes=30)
CROWD_WINDOW = timedelta(minutes=90)
"""Crowd reports build over a long time (Itaewon: the first call came ~4 h before the crush)."""

COMPATIBLE: frozenset[frozenset[IncidentType]] = frozenset(PAIRS)
"""Pairs of types that are one emergency when near each other (``streams.pairs``)."""
OTHER_REACH_M = 300.0
"""An uncategorised or uncertain report joins any active incident within the incident's
own join radius, capped here: the reach of a building or an alley where an emergency is
seen from, not a district-wide flood's or a city-wide quake's (whose unrelated calls would
otherwise vanish into it)."""
PRECEDENCE = [
    T.CROWD,
    T.FIRE,
    T.COLLAPSE,
    T.HAZMAT,
    T.GAS_LEAK,
    T.EARTHQUAKE,
    T.STRUCTURAL,
    T.FLOOD,
    T.TRAFFIC,
    T.RESCUE,
    T.CARDIAC_ARREST,
    T.MEDICAL,
    T.OTHER,
]
"""When compatible evidence meets, the incident takes the type first in this list."""
RANK = {kind: n for n, kind in enumerate(PRECEDENCE)}

MASS_CASUALTY_PATIENTS = 5
"""Korean 다수사상자 (mass-casualty) response starts at 5 or more patients (소방청 다수사상자
대응 매뉴얼)."""
CROWD_REPORTS = 5
CROWD_REPORTS_WINDOW = timedelta(minutes=15)
"""Five or more crowd or injury reports about one place within 15 minutes mean a crush in
progress: before the 2022 Itaewon crush, 11 emergency calls about people being crushed in
one alley came in over four hours and were handled one by one (국회 국정조사 결과보고서,
2023); a burst of five in a quarter hour is far beyond ordinary crowding."""
CRITICAL_DENSITY_PPM2 = 6.0
"""Persons per m² at which a standing crowd can no longer move and crush injuries begin
(Fruin, "The causes and prevention of crowd disasters", 1993: 7 p/m² fatal crowd pressure;
Still, "Introduction to Crowd Science", 2014: > 5 p/m² is the danger zone — 6 is used so
that one more person per m² still leaves a margin)."""
UNVERIFIED_BELOW = 0.7
"""A lone CCTV detection under this confidence waits for confirmation instead of dispatch."""
ACTIVE = frozenset({IncidentStatus.OPEN, IncidentStatus.DISPATCHED, IncidentStatus.ON_SCENE})


@dataclass
class IncidentState:
    """An incident and what fusion remembers about it beyond the contract fields."""

    incident: Incident
    reporters: dict[str, float] = field(default_factory=dict)
    keys: frozenset[str] = field(default=frozenset(), compare=False, repr=False)
    """The keys of the evidence counted (derived from ``incident.evidence``)."""
    patients_by_report: dict[str, int] = field(default_factory=dict)
    """What each report counted (``streams.patients``): ``incident.patients`` is its total.
    Never changed in place (states share it); empty in the read-only states followers build
    from a published incident."""

    def __post_init__(self) -> None:
        if not self.keys and self.incident.evidence:
            self.keys = frozenset(f"{ref.source.value}:{ref.id}" for ref in self.incident.evidence)

    @property
    def fixed_type(self) -> IncidentType | None:
        """The type a dispatcher set, which fusion keeps (None: fusion decides)."""
        return next((r.type for r in reversed(self.incident.rulings) if r.type), None)

    @property
    def fixed_priority(self) -> int | None:
        """The priority a dispatcher set, which fusion keeps unless a mass casualty begins."""
        return next((r.priority for r in reversed(self.incident.rulings) if r.priority), None)

    def revised(self, incident: Incident) -> IncidentState:
        """This state with ``incident`` changed in anything but its evidence and patients."""
        return IncidentState(incident, self.reporters, self.keys, self.patients_by_report)

    def to_json(self) -> dict[str, object]:
        """Plain values for a table."""
        return {
            "incident": self.incident.model_dump(mode="json"),
            "reporters": self.reporters,
            "patients_by_report": self.patients_by_report,
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> IncidentState:
        """Inverse of :meth:`to_json`. A state stored without ``patients_by_report`` keeps
        its patient count as one unattributed figure (``streams.patients.unattributed``);
        an incident merged away holds no reports and so no figures."""
        reporters = data.get("reporters") or {}
        assert isinstance(reporters, dict)
        incident = Incident.model_validate(data["incident"])
        by_report = data.get("patients_by_report")
        if by_report is None:
            held = incident.patients if incident.merged_into is None else 0
            by_report = patients.unattributed(incident.id, held)
        assert isinstance(by_report, dict)
        figures = {str(key): int(n) for key, n in by_report.items()}
        return cls(incident, dict(reporters), patients_by_report=figures)


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(min(1.0, math.sqrt(h)))


def compatible(a: IncidentType, b: IncidentType) -> bool:
    """True when evidence of type ``b`` can belong to an incident of type ``a``
    (``other`` is compatible with every type: it says nothing against any)."""
    return a == b or T.OTHER in (a, b) or frozenset((a, b)) in COMPATIBLE


def join_radius_m(evidence_type: IncidentType, incident_type: IncidentType) -> float | None:
    """How far evidence of one type may lie from an incident of another and still join it
    (None: the types never fuse).

    >>> join_radius_m(T.RESCUE, T.FIRE), join_radius_m(T.OTHER, T.FLOOD)
    (250, 300.0)
    """
    return _RADIUS[evidence_type, incident_type]


def _join_radius_m(evidence_type: IncidentType, incident_type: IncidentType) -> float | None:
    if T.OTHER in (evidence_type, incident_type):
        known = incident_type if evidence_type is T.OTHER else evidence_type
        return min(JOIN_RADIUS_M[known], OTHER_REACH_M)
    if evidence_type is not incident_type and frozenset((evidence_type, incident_type)) not in (
        COMPATIBLE
    ):
        return None
    return max(JOIN_RADIUS_M[incident_type], JOIN_RADIUS_M[evidence_type])


_RADIUS = {(a, b): _join_radius_m(a, b) for a in T for b in T}  # looked up per candidate


def search_types(evidence: Evidence) -> tuple[IncidentType, ...]:
    """The types evidence is searched and matched as: its own, and ``other`` too when its
    type is uncertain (so it may join any incident within ``OTHER_REACH_M``)."""
    if evidence.type is None:
        return ()
    if evidence.uncertain and evidence.type is not T.OTHER:
        return (evidence.type, T.OTHER)
    return (evidence.type,)


def reach_m(evidence: Evidence, incident_type: IncidentType) -> float | None:
    """How far ``evidence`` may lie from an incident of ``incident_type`` and join it: the
    widest :func:`join_radius_m` over its :func:`search_types` (None: it never joins)."""
    radii = [join_radius_m(t, incident_type) for t in search_types(evidence)]
    return max((r for r in radii if r is not None), default=None)


def incident_id_for(evidence: Evidence) -> str:
    """A deterministic incident id: a replay of the same first evidence opens the same id."""
    return "INC-" + hashlib.sha256(evidence.key.encode()).hexdigest()[:12].upper()


def match(evidence: Evidence, candidates: Iterable[IncidentState]) -> IncidentState | None:
    """The open incident this evidence belongs to (nearest compatible), or None."""
    if evidence.type is None:
        return None
    best: tuple[float, IncidentState] | None = None
    kind = evidence.type
    for state in candidates:
        inc = state.incident
        radius = reach_m(evidence, inc.type) if evidence.uncertain else _RADIUS[kind, inc.type]
        if radius is None or inc.status not in ACTIVE:
            continue
        window = CROWD_WINDOW if T.CROWD in (inc.type, evidence.type) else JOIN_WINDOW
        if not (inc.opened_at - window <= evidence.at <= inc.updated_at + window):
            continue
        d = distance_m(inc.location.lon, inc.location.lat, evidence.lon, evidence.lat)
        if d <= radius and (best is None or d < best[0]):
            best = (d, state)
    return best[1] if best else None


MAX_RELATED = 20


def related(evidence: Evidence, candidates: Iterable[IncidentState]) -> list[str]:
    """The active incidents at the same place and time as ``evidence`` (within the reach of
    an uncategorised report of them, ``join_radius_m(other, type)``, and the join window)
    that it did not join: the dispatcher may find them one emergency and merge them."""
    found: list[str] = []
    for state in candidates:
        inc = state.incident
        if inc.status not in ACTIVE or inc.id in found:
            continue
        if not (inc.opened_at - JOIN_WINDOW <= evidence.at <= inc.updated_at + JOIN_WINDOW):
            continue
        reach = join_radius_m(T.OTHER, inc.type) or 0.0
        if distance_m(inc.location.lon, inc.location.lat, evidence.lon, evidence.lat) <= reach:
            found.append(inc.id)
    return sorted(found)[:MAX_RELATED]


def pair_radius_m(a: IncidentType, b: IncidentType) -> float | None:
    """How far apart an incident of type ``a`` and one of type ``b`` may lie and still be
    one emergency: the wider of the two ways evidence of one joins the other (None: never)."""
    radii = [r for r in (_RADIUS[a, b], _RADIUS[b, a]) if r is not None]
    return max(radii, default=None)


_BORDER_REACH = {a: max((pair_radius_m(a, b) or 0.0) for b in T) for a in T}


def border_reach_m(kind: IncidentType) -> float:
    """The farthest an incident of ``kind`` may lie from another incident and be one
    emergency with it (of any type)."""
    return _BORDER_REACH[kind]


def same_emergency(a: Incident, b: Incident) -> bool:
    """Whether two incidents fused apart (in two zones, ``streams.zones``) are one
    emergency: the later one's first report would have joined the earlier one had both
    been fused in one place (compatible types within their radius, in the join window).

    A dispatcher's split is respected: an incident is never one emergency with the one it
    was split from."""
    if a.id == b.id or a.status not in ACTIVE or b.status not in ACTIVE:
        return False
    if a.split_from == b.id or b.split_from == a.id:
        return False
    first, later = sorted((a, b), key=lambda i: (i.opened_at, i.id))
    radius = pair_radius_m(first.type, later.type)
    if radius is None:
        return False
    window = CROWD_WINDOW if T.CROWD in (a.type, b.type) else JOIN_WINDOW
    if not (first.opened_at - window <= later.opened_at <= first.updated_at + window):
        return False
    d = distance_m(first.location.lon, first.location.lat, later.location.lon, later.location.lat)
    return d <= radius


def open_incident(
    evidence: Evidence, district: str | None, possibly_related: Iterable[str] = ()
) -> IncidentState:
    """A new incident whose first evidence is ``evidence`` (which must carry a type), and
    the incidents near it that it did not join (:func:`related`)."""
    assert evidence.type is not None
    golden = GOLDEN_TIME_S[evidence.type]
    values: dict[str, Any] = {
        "id": incident_id_for(evidence),
        "type": evidence.type,
        "priority": BASE_PRIORITY[evidence.type],
        "status": IncidentStatus.OPEN,
        "location": Position(lon=evidence.lon, lat=evidence.lat),
        "opened_at": evidence.at,
        "updated_at": evidence.at,
        "evidence": [_ref(evidence)],
        "golden_time_s": golden,
        "deadline_at": evidence.at + timedelta(seconds=golden),
        "district": district,
        "confidence": round(evidence.weight, 3),
        "address": evidence.address,
        "description": evidence.description,
        "patients": evidence.patients,
        "version": 1,
        "mass_casualty": False,
        "escalated_at": None,
        "supervisor_flag": False,
        "possibly_related": list(possibly_related),
    }
    reporters = {evidence.reporter: evidence.weight}
    values |= _assessment(values, reporters, evidence)
    by_report = {evidence.key: evidence.patients} if evidence.patients else {}
    return IncidentState(Incident(**values), reporters, frozenset((evidence.key,)), by_report)


def absorb(state: IncidentState, evidence: Evidence) -> IncidentState:
    """The incident after ``evidence`` joins it (idempotent for evidence already counted)."""
    inc = state.incident
    if evidence.key in state.keys:
        return state
    reporters = dict(state.reporters)
    reporters[evidence.reporter] = max(reporters.get(evidence.reporter, 0.0), evidence.weight)
    by_report = state.patients_by_report
    if evidence.patients:
        by_report = {**by_report, evidence.key: evidence.patients}
    new_type = inc.type
    # uncertain evidence joins, but only names an incident that had no type of its own
    if (
        evidence.type is not None
        and RANK[evidence.type] < RANK[inc.type]
        and (not evidence.uncertain or inc.type is T.OTHER)
        and (not inc.rulings or state.fixed_type is None)
    ):
        new_type = evidence.type
    golden = min(inc.golden_time_s, GOLDEN_TIME_S[new_type])
    if evidence.type is not None and not evidence.uncertain:
        # a cardiac arrest at a fire keeps the fire's type but brings its own 4-minute target
        golden = min(golden, GOLDEN_TIME_S[evidence.type])
    update: dict[str, Any] = {
        "type": new_type,
        "evidence": [*inc.evidence, _ref(evidence)],
        "updated_at": max(inc.updated_at, evidence.at),
        "golden_time_s": golden,
        "deadline_at": inc.opened_at + timedelta(seconds=golden),
        "patients": patients.total(by_report) if evidence.patients else inc.patients,
        "address": inc.address or evidence.address,
        "description": inc.description or evidence.description,
        "version": inc.version + 1,
    }
    values = _Values(update, inc)
    update |= _assessment(values, reporters, evidence)
    begins = update["mass_casualty"] and not inc.mass_casualty
    if inc.rulings and state.fixed_priority is not None and not begins:
        update["priority"] = inc.priority  # the dispatcher's, until a mass casualty begins
    keys = state.keys | {evidence.key}
    return IncidentState(inc.model_copy(update=update), reporters, keys, by_report)


class _Values(dict[str, Any]):
    """An incident's fields after an update: the update's, else the incident's."""

    def __init__(self, update: dict[str, Any], incident: Incident) -> None:
        super().__init__(update)
        self._incident = incident

    def __missing__(self, name: str) -> Any:
        return getattr(self._incident, name)


def confidence(reporters: dict[str, float]) -> float:
    """The chance that at least one independent reporter is right, to 3 decimals."""
    miss = 1.0
    for weight in reporters.values():
        miss *= 1.0 - min(weight, 0.99)
        if miss < 1e-4:  # rounds to 1.0 whatever the rest say (each factor is ≤ 1)
            return 1.0
    return round(1.0 - miss, 3)


def _assessment(
    inc: Mapping[str, Any], reporters: dict[str, float], evidence: Evidence
) -> dict[str, Any]:
    """Confidence, priority, mass-casualty and verification from all evidence so far
    (``inc``: the incident's fields with the evidence already counted)."""
    certainty = confidence(reporters)
    independent = len(reporters)
    priority = BASE_PRIORITY[inc["type"]]
    if independent >= 3:
        priority -= 1
    critical_density = (
        evidence.density_ppm2 is not None and evidence.density_ppm2 >= CRITICAL_DENSITY_PPM2
    )
    burst_at = _burst_at(inc["evidence"]) if inc["type"] is T.CROWD else None
    was_mass_casualty = inc["mass_casualty"]
    tipped = not was_mass_casualty and inc["patients"] >= MASS_CASUALTY_PATIENTS
    mass_casualty = was_mass_casualty or tipped or critical_density or burst_at is not None
    if mass_casualty:
        priority = 1
    lone_camera = independent == 1 and evidence.source.value == "cctv"
    unverified = lone_camera and certainty < UNVERIFIED_BELOW
    # the earliest time the evidence shows a threshold crossed, whatever order it came in
    crossings = [t for t in (inc["escalated_at"], burst_at) if t is not None]
    if tipped or critical_density or (mass_casualty and not crossings):
        crossings.append(evidence.at)
    escalated_at = min(crossings) if mass_casualty else None
    return {
        "confidence": certainty,
        "priority": max(1, min(priority, inc["priority"] if inc["version"] > 1 else 5)),
        "mass_casualty": mass_casualty,
        "supervisor_flag": inc["supervisor_flag"] or mass_casualty,
        "unverified": unverified,
        "escalated_at": escalated_at,
    }


def _burst_at(evidence: list[EvidenceRef]) -> datetime | None:
    """When crowd or injury reports first numbered ``CROWD_REPORTS`` within
    ``CROWD_REPORTS_WINDOW`` (by the reports' own times, so late arrivals count where they
    belong), or None."""
    kinds = {"crowd", "medical", "cardiac_arrest", "crowd_density"}
    times = sorted(ref.at for ref in evidence if ref.at and _type_of(ref.kind) in kinds)
    for last in range(CROWD_REPORTS - 1, len(times)):
        if times[last] - times[last - CROWD_REPORTS + 1] <= CROWD_REPORTS_WINDOW:
            return times[last]
    return None


def _type_of(kind: str | None) -> str | None:
    """The type a reference's kind stands for (``other>crowd``: a call the words retyped)."""
    return kind.rpartition(">")[2] if kind else None


def _ref(evidence: Evidence) -> EvidenceRef:
    return EvidenceRef(source=evidence.source, id=evidence.id, at=evidence.at, kind=evidence.kind)
