"""The dispatcher decides in the end: merge two incidents, split evidence off one, retype one.

Pure over incident states, like fusion; the zone stores the results and keeps fusion to
them (a retyped incident keeps its type, split-off evidence stays where it was put, a
merged incident's late evidence goes to the survivor). Each ruling is recorded on the
incidents it touched, with who, why and when (``Incident.rulings``).
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from streams import patients
from streams.contract import (
    CctvKind,
    Command,
    ContractError,
    EvidenceRef,
    EvidenceSource,
    Incident,
    IncidentStatus,
    IncidentType,
    Ruling,
    SensorKind,
)
from streams.evidence import CALL_WEIGHT, SENSOR_WEIGHT
from streams.fusion import ACTIVE, RANK, IncidentState, confidence
from streams.triage import BASE_PRIORITY, CCTV_TYPE, GOLDEN_TIME_S, SENSOR_TYPE

__all__ = ["merge", "retype", "split", "split_id"]


def _ruling(command: Command, **values: Any) -> Ruling:
    return Ruling(
        command_id=command.id,
        action=command.action.value,
        by=command.by,
        reason=command.reason,
        at=command.at,
        **values,
    )


def _active(state: IncidentState | None, incident_id: str | None, command: Command) -> Incident:
    if state is None or state.incident.status not in ACTIVE:
        raise ContractError(
            f"{command.action.value}: no active incident {incident_id!r}", command.id
        )
    return state.incident


def merge(
    gone: IncidentState | None, survivor: IncidentState | None, command: Command, now: datetime
) -> tuple[IncidentState, IncidentState]:
    """``gone`` closed as merged into ``survivor``, and the survivor holding the evidence,
    reporters and patients of both (its type the graver of the two, unless set by hand).

    Evidence and patients are pooled by report, not added: the two may hold a report in
    common (a merge across a zone border on its way while another begins), and it counts
    once."""
    g = _active(gone, command.incident_id, command)
    s = _active(survivor, command.into_incident_id, command)
    assert gone is not None and survivor is not None
    moved = [ref for ref in g.evidence if _key(ref) not in survivor.keys]
    reporters = dict(survivor.reporters)
    for reporter, weight in gone.reporters.items():
        reporters[reporter] = max(reporters.get(reporter, 0.0), weight)
    by_report = patients.pooled(survivor.patients_by_report, gone.patients_by_report)
    kind = survivor.fixed_type or min(s.type, g.type, key=RANK.__getitem__)
    opened = min(s.opened_at, g.opened_at)
    golden = min(s.golden_time_s, g.golden_time_s, GOLDEN_TIME_S[kind])
    escalations = [t for t in (s.escalated_at, g.escalated_at) if t is not None]
    merged = s.model_copy(
        update={
            "type": kind,
            "priority": min(s.priority, g.priority),
            "evidence": [*s.evidence, *moved],
            "opened_at": opened,
            "updated_at": max(s.updated_at, g.updated_at, now),
            "golden_time_s": golden,
            "deadline_at": opened + timedelta(seconds=golden),
            "confidence": confidence(reporters),
            "patients": patients.total(by_report),
            "unverified": s.unverified and g.unverified,
            "mass_casualty": s.mass_casualty or g.mass_casualty,
            "supervisor_flag": s.supervisor_flag or g.supervisor_flag,
            "escalated_at": min(escalations) if escalations else None,
            "address": s.address or g.address,
            "description": s.description or g.description,
            "version": s.version + 1,
            "rulings": [*s.rulings, _ruling(command, other_incident_id=g.id)],
            "possibly_related": sorted(
                (set(s.possibly_related) | set(g.possibly_related)) - {s.id, g.id}
            ),
        }
    )
    survivor_state = IncidentState(merged, reporters, patients_by_report=by_report)
    return merged_away(g, s.id, command, now), survivor_state


def merged_away(gone: Incident, into: str, command: Command, now: datetime) -> IncidentState:
    """``gone`` closed as merged into the incident ``into`` (which now holds its evidence
    and counts its patients; ``gone.patients`` stays as it was, a record of the figure it
    had)."""
    closed = gone.model_copy(
        update={
            "status": IncidentStatus.CLOSED,
            "merged_into": into,
            "evidence": [],
            "updated_at": max(gone.updated_at, now),
            "version": gone.version + 1,
            "rulings": [*gone.rulings, _ruling(command, other_incident_id=into)],
        }
    )
    return IncidentState(closed, {})


def split_id(command: Command) -> str:
    """The id of the incident a split command opens (the same for a replay of it)."""
    return "INC-" + hashlib.sha256(f"split:{command.id}".encode()).hexdigest()[:12].upper()


def split(
    state: IncidentState | None, command: Command, district: str | None, now: datetime
) -> tuple[IncidentState, IncidentState]:
    """The incident without the evidence named, and a new incident holding it (its type the
    command's, else the gravest the split evidence reports).

    The patients each piece reported go with it. Which reporter each piece came from is not
    kept per piece: the new incident counts each piece as one reporter of its source's
    weight; the rest keeps its reporters."""
    inc = _active(state, command.incident_id, command)
    wanted = set(command.evidence_ids)
    leaving = [ref for ref in inc.evidence if ref.id in wanted]
    staying = [ref for ref in inc.evidence if ref.id not in wanted]
    if not leaving:
        raise ContractError(f"split_evidence: none of the evidence is on {inc.id}", command.id)
    if not staying:
        raise ContractError(
            "split_evidence: an incident cannot give away all its evidence", command.id
        )
    kind = command.type or min(
        (t for t in map(_reported_type, leaving) if t is not None),
        key=RANK.__getitem__,
        default=inc.type,
    )
    opened = min((ref.at for ref in leaving if ref.at), default=now)
    golden = GOLDEN_TIME_S[kind]
    assert state is not None
    leaving_keys = [_key(ref) for ref in leaving]
    staying_patients = patients.without(state.patients_by_report, leaving_keys)
    leaving_patients = patients.only(state.patients_by_report, leaving_keys)
    reporters = {
        f"split:{_key(ref)}": SENSOR_WEIGHT if ref.source is EvidenceSource.SENSOR else CALL_WEIGHT
        for ref in leaving
    }
    new = Incident(
        id=split_id(command),
        type=kind,
        priority=command.priority or BASE_PRIORITY[kind],
        status=IncidentStatus.OPEN,
        location=inc.location,
        opened_at=opened,
        updated_at=now,
        evidence=leaving,
        golden_time_s=golden,
        deadline_at=opened + timedelta(seconds=golden),
        district=district,
        confidence=confidence(reporters),
        patients=patients.total(leaving_patients),
        split_from=inc.id,
        rulings=[
            _ruling(command, type=command.type, priority=command.priority, other_incident_id=inc.id)
        ],
    )
    rest = inc.model_copy(
        update={
            "evidence": staying,
            "patients": patients.total(staying_patients),
            "updated_at": max(inc.updated_at, now),
            "version": inc.version + 1,
            "rulings": [*inc.rulings, _ruling(command, other_incident_id=new.id)],
        }
    )
    return (
        IncidentState(rest, state.reporters, patients_by_report=staying_patients),
        IncidentState(new, reporters, patients_by_report=leaving_patients),
    )


def retype(state: IncidentState | None, command: Command, now: datetime) -> IncidentState:
    """The incident with the type and/or priority the dispatcher set (a new type brings its
    golden time and, unless the priority is set too, its base priority)."""
    inc = _active(state, command.incident_id, command)
    assert state is not None
    kind = command.type or inc.type
    golden = GOLDEN_TIME_S[kind] if command.type else inc.golden_time_s
    priority = command.priority or (BASE_PRIORITY[kind] if command.type else inc.priority)
    if inc.mass_casualty and command.priority is None:
        priority = 1
    updated = inc.model_copy(
        update={
            "type": kind,
            "priority": priority,
            "golden_time_s": golden,
            "deadline_at": inc.opened_at + timedelta(seconds=golden),
            "updated_at": max(inc.updated_at, now),
            "version": inc.version + 1,
            "rulings": [
                *inc.rulings,
                _ruling(command, type=command.type, priority=command.priority),
            ],
        }
    )
    return state.revised(updated)


def _key(ref: EvidenceRef) -> str:
    return f"{ref.source.value}:{ref.id}"


def _reported_type(ref: EvidenceRef) -> IncidentType | None:
    """The type a piece of evidence reported (a retyped call's words; else its source's)."""
    kind = (ref.kind or "").rpartition(">")[2]
    try:
        if ref.source is EvidenceSource.CALL:  # call categories are incident types by name
            return IncidentType(kind)
        if ref.source is EvidenceSource.CCTV:
            return CCTV_TYPE[CctvKind(kind)]
        return SENSOR_TYPE[SensorKind(kind)]
    except ValueError:
        return None
