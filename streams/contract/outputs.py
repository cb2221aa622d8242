"""The output events: incidents, assignments, overlays, alerts, dead letters."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from streams.contract.common import (
    ContractModel,
    EventId,
    FreeText,
    GeoJSONGeometry,
    Position,
    ShortText,
    Timestamp,
)


class IncidentType(StrEnum):
    """What kind of emergency an incident is."""

    FIRE = "fire"
    MEDICAL = "medical"
    CARDIAC_ARREST = "cardiac_arrest"
    RESCUE = "rescue"
    TRAFFIC = "traffic"
    HAZMAT = "hazmat"
    GAS_LEAK = "gas_leak"
    FLOOD = "flood"
    COLLAPSE = "collapse"
    CROWD = "crowd"
    STRUCTURAL = "structural"
    EARTHQUAKE = "earthquake"
    OTHER = "other"


class IncidentStatus(StrEnum):
    """Lifecycle of an incident."""

    OPEN = "open"
    DISPATCHED = "dispatched"
    ON_SCENE = "on_scene"
    RESOLVED = "resolved"
    CLOSED = "closed"


class EvidenceSource(StrEnum):
    """Where a piece of evidence came from."""

    CALL = "call"
    CCTV = "cctv"
    SENSOR = "sensor"


class EvidenceRef(ContractModel):
    """One input event counted as evidence of an incident."""

    source: EvidenceSource
    id: EventId
    at: Timestamp | None = None
    kind: str | None = Field(default=None, max_length=40)


class Ruling(ContractModel):
    """A dispatcher's ruling on an incident (merge, split, retype): who, why, when."""

    command_id: EventId
    action: str = Field(max_length=40)
    by: str = Field(min_length=1, max_length=80)
    reason: ShortText | None = None
    at: Timestamp
    type: IncidentType | None = None
    """The type the dispatcher set (fusion keeps it)."""
    priority: int | None = Field(default=None, ge=1, le=5)
    """The priority the dispatcher set (fusion keeps it, unless a mass casualty begins)."""
    other_incident_id: EventId | None = None
    """The incident merged into this one, or split off it (or the survivor of a merge)."""


class Incident(ContractModel):
    """An incident's latest state (the `incidents` topic is compacted by id)."""

    id: EventId
    type: IncidentType
    priority: int = Field(ge=1, le=5)
    status: IncidentStatus
    location: Position
    opened_at: Timestamp
    updated_at: Timestamp
    evidence: list[EvidenceRef]
    golden_time_s: float = Field(gt=0)
    deadline_at: Timestamp
    district: str | None = Field(default=None, max_length=60)
    confidence: float = Field(ge=0.0, le=1.0)
    version: int = Field(default=1, ge=1)
    address: ShortText | None = None
    description: FreeText | None = None
    patients: int = Field(default=0, ge=0)
    unverified: bool = False
    supervisor_flag: bool = False
    mass_casualty: bool = False
    escalated_at: Timestamp | None = None
    merged_into: EventId | None = None
    """Set when a dispatcher merged this incident into another (it is then closed)."""
    split_from: EventId | None = None
    """Set on an incident a dispatcher split off another."""
    rulings: list[Ruling] = Field(default_factory=list, max_length=100)
    """The dispatchers' rulings on this incident, oldest first."""
    possibly_related: list[EventId] = Field(default_factory=list, max_length=20)
    """Active incidents at the same place and time when this one opened, of types fusion
    never joins (a fire and a flood call from one building): the dispatcher may merge them."""


class AssignmentStatus(StrEnum):
    """Whether a unit is proposed, sent, or called back."""

    RECOMMENDED = "recommended"
    ASSIGNED = "assigned"
    CANCELLED = "cancelled"


class Assignment(ContractModel):
    """A unit assigned (or recommended) to an incident."""

    incident_id: EventId
    unit_id: EventId
    status: AssignmentStatus
    eta_s: float = Field(ge=0)
    distance_m: float = Field(ge=0)
    route: GeoJSONGeometry | None = None
    golden_time_s: float = Field(gt=0)
    within_golden_time: bool
    issued_at: Timestamp
    unit_kind: str | None = Field(default=None, max_length=20)
    breach_s: float | None = None
    issued_by: str | None = Field(default=None, max_length=80)
    reason: ShortText | None = None
    command_id: EventId | None = None
    """The dispatcher command this record answers: the order it gave, or its refusal (a
    ``cancelled`` record whose ``reason`` starts with "refused:")."""
    eta_p50_s: float | None = Field(default=None, ge=0)
    """The median of the ETA when the travel model gives its spread (then equal to eta_s)."""
    eta_p90_s: float | None = Field(default=None, ge=0)
    """The 90th percentile of the ETA: what ``within_golden_time`` is judged on, when given."""
    rerouted_because: EventId | None = None
    """The structure (``road-closures``) whose closure made this new route: the unit keeps
    its order and drives around it."""


class MapFeature(ContractModel):
    """A point on the safety map (hydrant, camera, facility) with whatever it carries."""

    model_config = ContractModel.model_config | {"extra": "allow"}

    id: str = Field(max_length=128)
    location: Position


class Overlay(ContractModel):
    """The safety-map overlay of an incident."""

    incident_id: EventId
    hazard_zone: GeoJSONGeometry
    hydrants: list[MapFeature]
    cameras: list[MapFeature]
    vulnerable_facilities: list[MapFeature]
    updated_at: Timestamp


class AlertStatus(StrEnum):
    """Lifecycle of a public alert."""

    DRAFT = "draft"
    APPROVED = "approved"
    SENT = "sent"
    CANCELLED = "cancelled"
    ALL_CLEAR = "all_clear"


class Severity(StrEnum):
    """CAP severity."""

    EXTREME = "Extreme"
    SEVERE = "Severe"
    MODERATE = "Moderate"
    MINOR = "Minor"


class DistrictRef(ContractModel):
    """A district an alert targets: administrative code, name and level (gu or dong)."""

    code: str = Field(max_length=20)
    name: str = Field(max_length=60)
    level: str = Field(max_length=10)


class AlertReason(ContractModel):
    """Why a draft was made: the policy rule (alerts/policy.toml), the conditions it met and
    the evidence they were met on (counts only, never personal data)."""

    rule: str = Field(max_length=80)
    reasons: str = Field(default="", max_length=1000)
    evidence: str = Field(default="", max_length=300)


class PublicAction(StrEnum):
    """What a public page and feed do with an alert record."""

    NONE = "none"  # a draft: never shown
    SHOW = "show"  # approved or sent
    DROP = "drop"  # withdrawn before it was sent: removed wherever it is shown
    REPLACE = "replace"  # a sent alert's CAP Cancel or all-clear: shown in its place (same id)


class Alert(ContractModel):
    """A public warning and each change of its status."""

    id: EventId
    incident_id: EventId
    status: AlertStatus
    severity: Severity
    area: GeoJSONGeometry
    districts: list[DistrictRef | str]
    headline: str = Field(max_length=300)
    message: dict[str, str]
    issued_at: Timestamp
    tier: str | None = Field(default=None, max_length=20)
    exercise: bool = False
    version: int = Field(default=1, ge=1)
    references: list[str | dict[str, str]] = Field(default_factory=list)
    """The CAP messages this revision references (identifier and when it was sent)."""
    hazard: str | None = Field(default=None, max_length=20)
    """The hazard (``gas``, ``chemical``, ``smoke``, ``flood``, ``collapse``, ``crowd``,
    ``traffic``): with the area, what a dispatcher's queue groups drafts by."""
    incident_ids: list[EventId] = Field(default_factory=list)
    """Every incident folded into this alert (the first is ``incident_id``)."""
    why: AlertReason | None = None
    """Why it was drafted (drafts made by the policy; absent on older records)."""
    public_action: PublicAction | None = None
    """What public pages do with this record (absent on older records: judge by status)."""
    silenced_by: EventId | None = None
    """Set on a draft withdrawn by a supervisor's silence: the silence_alerts command id."""


class DeadLetter(ContractModel):
    """An input that was rejected, with why."""

    source_topic: str = Field(max_length=255)
    partition: int
    offset: int
    received_at: Timestamp
    error: str = Field(max_length=4000)
    payload: str
    payload_encoding: str = Field(default="utf-8", pattern="^(utf-8|base64)$")
    event_id: str | None = Field(default=None, max_length=128)
    stage: str | None = Field(default=None, max_length=40)
