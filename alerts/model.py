"""Plain value types of a public alert: the input context and the alert that comes out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from enum import StrEnum
from typing import Any

import shapely.geometry

__all__ = [
    "KST",
    "SEOUL_ISSUER",
    "Alert",
    "AlertContext",
    "AlertStatus",
    "Approval",
    "AuditEntry",
    "CapRef",
    "DistrictRef",
    "Issuer",
    "MessageInput",
    "Mode",
    "MsgType",
    "Tier",
    "public_action",
    "rfc3339",
]

KST = timezone(timedelta(hours=9), "KST")


class Tier(StrEnum):
    """Korea's three disaster-text tiers (재난문자방송 기준 및 운영규정)."""

    CRITICAL = "critical"  # 위급재난문자
    EMERGENCY = "emergency"  # 긴급재난문자
    SAFETY = "safety"  # 안전안내문자


class AlertStatus(StrEnum):
    """Lifecycle status of an alert, as in the contract."""

    DRAFT = "draft"
    APPROVED = "approved"
    SENT = "sent"
    CANCELLED = "cancelled"
    ALL_CLEAR = "all_clear"


class Mode(StrEnum):
    """Whether an alert is real or a drill/test; values are CAP `status` values."""

    ACTUAL = "Actual"
    EXERCISE = "Exercise"
    TEST = "Test"


class MsgType(StrEnum):
    """CAP message type of the alert's latest revision."""

    ALERT = "Alert"
    UPDATE = "Update"
    CANCEL = "Cancel"


@dataclass(frozen=True)
class Issuer:
    """Who sends the alert: CAP sender id and display names per language."""

    sender_id: str
    names: Mapping[str, str]
    web_url: str | None = None

    def name(self, language: str) -> str:
        """The sender's display name in a language, falling back to English then Korean."""
        return self.names.get(language) or self.names.get("en") or self.names["ko"]


SEOUL_ISSUER = Issuer(
    sender_id="goldentime@119.seoul.go.kr",
    names={"ko": "서울특별시", "en": "Seoul City", "ja": "ソウル市", "zh": "首尔市"},
)


@dataclass(frozen=True)
class AlertContext:
    """What alerts needs to know about an incident to decide on and word a public alert.

    Never carries caller data. `place` is free text (it is scrubbed of phone numbers before
    use); `patients` is informational: no count of patients makes an individual emergency a
    public hazard. `calls`, `sensors` and `cameras` count the incident's evidence by source;
    `on_major_road` says the incident sits on a major road (expressway class).
    """

    incident_id: str
    incident_type: str
    priority: int
    lon: float
    lat: float
    opened_at: datetime
    hazard_zone: Any = field(default=None, repr=False, compare=False)
    place: str = ""
    place_en: str = ""
    patients: int = 0
    mass_casualty: bool = False
    mode: Mode = Mode.ACTUAL
    population_affected: int | None = None
    vulnerable_facilities: int = 0
    radius_m: float | None = None
    calls: int = 0
    sensors: int = 0
    cameras: int = 0
    on_major_road: bool = False

    @property
    def evidence_summary(self) -> str:
        """The evidence behind a decision in a few words (no personal data)."""
        parts = [f"{self.calls} calls", f"{self.sensors} sensor alarms", f"{self.cameras} camera"]
        parts[-1] += " detections"
        extra = [f"{self.patients} patients"] if self.patients else []
        if self.mass_casualty:
            extra.append("mass casualty")
        if self.on_major_road:
            extra.append("on a major road")
        return ", ".join(parts + extra) + f"; priority {self.priority}"

    @property
    def exercise(self) -> bool:
        """True for a drill or a test (anything not Actual)."""
        return self.mode is not Mode.ACTUAL


@dataclass(frozen=True)
class MessageInput:
    """The facts an alert message states, independent of language (kept to re-word it)."""

    hazard: str
    response: str
    place: str
    issued_at: datetime
    place_detail: str = ""
    place_detail_en: str = ""
    distance_m: float | None = None
    mode: Mode = Mode.ACTUAL
    kind: str = "alert"
    urgent: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON form (alerts.record.facts_from_dict reads it back)."""
        return {
            "hazard": self.hazard,
            "response": self.response,
            "place": self.place,
            "issued_at": rfc3339(self.issued_at),
            "place_detail": self.place_detail,
            "place_detail_en": self.place_detail_en,
            "distance_m": self.distance_m,
            "mode": self.mode.value,
            "kind": self.kind,
            "urgent": self.urgent,
        }


@dataclass(frozen=True)
class DistrictRef:
    """A district an alert targets: code, name and level ('gu' or 'dong')."""

    code: str
    name: str
    level: str

    def to_dict(self) -> dict[str, str]:
        """JSON form."""
        return {"code": self.code, "name": self.name, "level": self.level}


@dataclass(frozen=True)
class Approval:
    """One dispatcher's approval of an alert revision."""

    dispatcher: str
    at: datetime


@dataclass(frozen=True)
class AuditEntry:
    """One audited step: who did what, when."""

    at: datetime
    actor: str
    action: str
    detail: str = ""

    def to_dict(self) -> dict[str, str]:
        """JSON form."""
        return {
            "at": rfc3339(self.at),
            "actor": self.actor,
            "action": self.action,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class CapRef:
    """A CAP message sent earlier that a later one references."""

    identifier: str
    sent_at: datetime


@dataclass(frozen=True)
class Alert:
    """A public warning at one revision; to_dict() is the contract's Alert JSON."""

    id: str
    incident_id: str
    status: AlertStatus
    tier: Tier
    severity: str
    urgency: str
    certainty: str
    response_type: str
    cap_category: str
    incident_type: str
    hazard: str
    area: Any = field(repr=False, compare=False)
    districts: tuple[DistrictRef, ...]
    headline: Mapping[str, str]
    message: Mapping[str, str]
    instruction: Mapping[str, str]
    event: Mapping[str, str]
    issued_at: datetime
    expires_at: datetime
    mode: Mode = Mode.ACTUAL
    msg_type: MsgType = MsgType.ALERT
    revision: int = 1
    references: tuple[CapRef, ...] = ()
    incident_ids: tuple[str, ...] = ()
    overshoot_ratio: float = 0.0
    approvals_required: int = 1
    approvals: tuple[Approval, ...] = ()
    audit: tuple[AuditEntry, ...] = ()
    sent_at: datetime | None = None
    facts: MessageInput | None = field(default=None, repr=False)
    rule_id: str = ""
    why: str = ""
    evidence: str = ""
    silenced_by: str | None = None

    @property
    def cap_identifier(self) -> str:
        """CAP identifier of this revision (unique per sender)."""
        return f"{self.id}.r{self.revision}"

    def to_dict(self) -> dict[str, Any]:
        """The contract's Alert JSON plus optional extension fields."""
        return {
            "id": self.id,
            "incident_id": self.incident_id,
            "status": self.status.value,
            "severity": self.severity,
            "area": shapely.geometry.mapping(self.area),
            "districts": [d.to_dict() for d in self.districts],
            "headline": self.headline["ko"],
            "message": dict(self.message),
            "issued_at": rfc3339(self.issued_at),
            # extensions (optional fields, contract allows adding)
            "headlines": dict(self.headline),
            "tier": self.tier.value,
            "urgency": self.urgency,
            "certainty": self.certainty,
            "response_type": self.response_type,
            "incident_type": self.incident_type,
            "mode": self.mode.value,
            "msg_type": self.msg_type.value,
            "revision": self.revision,
            "references": [
                {"identifier": r.identifier, "sent_at": rfc3339(r.sent_at)} for r in self.references
            ],
            "incident_ids": list(self.incident_ids or (self.incident_id,)),
            "overshoot_ratio": round(self.overshoot_ratio, 4),
            "expires_at": rfc3339(self.expires_at),
            "sent_at": rfc3339(self.sent_at) if self.sent_at else None,
            "approvals_required": self.approvals_required,
            "approvals": [
                {"dispatcher": a.dispatcher, "at": rfc3339(a.at)} for a in self.approvals
            ],
            "audit": [e.to_dict() for e in self.audit],
            "cap_category": self.cap_category,
            "hazard": self.hazard,
            "event": dict(self.event),
            "instruction": dict(self.instruction),
            "facts": self.facts.to_dict() if self.facts else None,
            "why": {"rule": self.rule_id, "reasons": self.why, "evidence": self.evidence}
            if self.rule_id
            else None,
            "silenced_by": self.silenced_by,
            "public_action": public_action(self),
        }


def public_action(alert: Alert) -> str:
    """What a public page does with this record: 'none' (a draft: never shown), 'show'
    (approved or sent), 'drop' (withdrawn before it was sent: remove it wherever it is
    shown), 'replace' (the CAP Cancel or all-clear of a sent alert: shown in place of the
    alert it revises, which has the same id)."""
    if alert.status in (AlertStatus.APPROVED, AlertStatus.SENT):
        return "show"
    if alert.status in (AlertStatus.CANCELLED, AlertStatus.ALL_CLEAR):
        return "replace" if alert.sent_at is not None else "drop"
    return "none"


def rfc3339(at: datetime, *, fraction: bool = True) -> str:
    """RFC 3339 with an explicit offset in KST (naive times are taken as UTC)."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    local = at.astimezone(KST)
    if fraction:
        return local.isoformat(timespec="milliseconds")
    return local.isoformat(timespec="seconds")
