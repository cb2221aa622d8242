"""Dispatcher commands: what the console asks the worker to do (internal topic ``gt-commands``).

The console checks the caller's role, audits the command, and produces it; the worker,
which owns incident, assignment and alert state, applies it and publishes the new states
on the output topics. A command is idempotent by its ``id``.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, model_validator

from streams.contract.common import (
    ContractModel,
    EventId,
    GeoJSONGeometry,
    ShortText,
    Timestamp,
)
from streams.contract.outputs import IncidentType


class CommandAction(StrEnum):
    """What a dispatcher asks for."""

    ACCEPT_RECOMMENDATION = (
        "accept_recommendation"  # assign the recommended units (all or unit_ids)
    )
    OVERRIDE = "override"  # assign unit_ids and/or cancel remove_unit_ids instead; reason required
    RESOLVE_INCIDENT = "resolve_incident"
    CLOSE_INCIDENT = "close_incident"
    APPROVE_ALERT = "approve_alert"  # 위급 (Extreme) needs two different dispatchers
    CANCEL_ALERT = "cancel_alert"  # reason required
    ALL_CLEAR_ALERT = "all_clear_alert"
    MERGE_INCIDENT = "merge_incident"  # incident_id joins into_incident_id; reason required
    SPLIT_EVIDENCE = "split_evidence"  # evidence_ids leave incident_id for a new incident
    RETYPE_INCIDENT = "retype_incident"  # set type and/or priority; fusion keeps them
    SILENCE_ALERTS = "silence_alerts"  # no drafts of hazard in area for duration_s; reason
    LIFT_SILENCE = "lift_silence"  # end the silence silence_id before its time
    CONFIRM_CLOSURE = "confirm_closure"  # close structure_id as its readings recommend
    CLOSE_STRUCTURE = "close_structure"  # close structure_id by hand; reason required
    REOPEN_STRUCTURE = "reopen_structure"  # open structure_id again; reason required
    CHOOSE_DESTINATION = "choose_destination"  # unit_id takes its patient to hospital_id


RULINGS = frozenset(
    {CommandAction.MERGE_INCIDENT, CommandAction.SPLIT_EVIDENCE, CommandAction.RETYPE_INCIDENT}
)
"""A dispatcher's rulings on what fusion made of the evidence (``streams.rulings``)."""
SILENCES = frozenset({CommandAction.SILENCE_ALERTS, CommandAction.LIFT_SILENCE})
"""A supervisor's silences of public-alert drafts (applied by the follow-up stage)."""
CLOSURES = frozenset(
    {
        CommandAction.CONFIRM_CLOSURE,
        CommandAction.CLOSE_STRUCTURE,
        CommandAction.REOPEN_STRUCTURE,
    }
)
"""A person's closures and reopenings of road structures (applied by the dispatch stage)."""
NEEDS_REASON = (
    frozenset(
        {
            CommandAction.OVERRIDE,
            CommandAction.CANCEL_ALERT,
            CommandAction.SILENCE_ALERTS,
            CommandAction.CLOSE_STRUCTURE,
            CommandAction.REOPEN_STRUCTURE,
        }
    )
    | RULINGS
)
NEEDS_INCIDENT = (
    frozenset(
        {
            CommandAction.ACCEPT_RECOMMENDATION,
            CommandAction.OVERRIDE,
            CommandAction.RESOLVE_INCIDENT,
            CommandAction.CLOSE_INCIDENT,
            CommandAction.CHOOSE_DESTINATION,
        }
    )
    | RULINGS
)
NEEDS_ALERT = frozenset(
    {
        CommandAction.APPROVE_ALERT,
        CommandAction.CANCEL_ALERT,
        CommandAction.ALL_CLEAR_ALERT,
    }
)


class Command(ContractModel):
    """One dispatcher action, with who asked and why."""

    id: EventId
    at: Timestamp
    action: CommandAction
    by: str = Field(min_length=1, max_length=80)
    role: str = Field(max_length=20)
    incident_id: EventId | None = None
    alert_id: EventId | None = None
    unit_ids: list[EventId] = Field(default_factory=list, max_length=50)
    remove_unit_ids: list[EventId] = Field(default_factory=list, max_length=50)
    reason: ShortText | None = None
    into_incident_id: EventId | None = None
    """merge_incident: the incident that survives."""
    evidence_ids: list[EventId] = Field(default_factory=list, max_length=200)
    """split_evidence: the evidence (ids as on the incident) that becomes a new incident."""
    type: IncidentType | None = None
    """retype_incident: the incident's type; split_evidence: the new incident's type."""
    priority: int | None = Field(default=None, ge=1, le=5)
    """retype_incident: the incident's priority (1 most urgent)."""
    hazard: str | None = Field(default=None, min_length=1, max_length=20)
    """silence_alerts: the hazard silenced, as alerts name it (``gas``, ``chemical``, ``smoke``,
    ``flood``, ``collapse``, ``crowd``, ``traffic``)."""
    area: GeoJSONGeometry | None = None
    """silence_alerts: where (a Polygon or MultiPolygon): incidents located in it draft none."""
    duration_s: int | None = Field(default=None, ge=60, le=86_400)
    """silence_alerts: for how long from ``at`` (1 minute to 24 hours)."""
    silence_id: EventId | None = None
    """lift_silence: the id of the silence_alerts command to end."""
    structure_id: EventId | None = None
    """confirm_closure, close_structure, reopen_structure: the structure (``geo.structures``)."""
    unit_id: EventId | None = None
    """choose_destination: the unit whose patient it is."""
    hospital_id: EventId | None = None
    """choose_destination: the emergency room chosen (its ``hpid``)."""

    @model_validator(mode="after")
    def _complete(self) -> Command:
        if self.action in NEEDS_REASON and not self.reason:
            raise ValueError(f"{self.action.value} needs a reason")
        if self.action in NEEDS_INCIDENT and not self.incident_id:
            raise ValueError(f"{self.action.value} needs incident_id")
        if self.action in NEEDS_ALERT and not self.alert_id:
            raise ValueError(f"{self.action.value} needs alert_id")
        if self.action is CommandAction.MERGE_INCIDENT and (
            not self.into_incident_id or self.into_incident_id == self.incident_id
        ):
            raise ValueError("merge_incident needs into_incident_id, another incident")
        if self.action is CommandAction.SPLIT_EVIDENCE and not self.evidence_ids:
            raise ValueError("split_evidence needs evidence_ids")
        if self.action is CommandAction.RETYPE_INCIDENT and self.type is None is self.priority:
            raise ValueError("retype_incident needs a type or a priority")
        if self.action is CommandAction.SILENCE_ALERTS:
            if not self.hazard or self.duration_s is None:
                raise ValueError("silence_alerts needs hazard and duration_s")
            if self.area is None or self.area["type"] not in ("Polygon", "MultiPolygon"):
                raise ValueError("silence_alerts needs an area (Polygon or MultiPolygon)")
        if self.action is CommandAction.CHOOSE_DESTINATION and not (
            self.unit_id and self.hospital_id
        ):
            raise ValueError("choose_destination needs unit_id and hospital_id")
        if self.action in CLOSURES and not self.structure_id:
            raise ValueError(f"{self.action.value} needs structure_id")
        if self.action is CommandAction.LIFT_SILENCE and not self.silence_id:
            raise ValueError("lift_silence needs silence_id")
        return self
