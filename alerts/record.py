"""Alert records: read back the JSON of Alert.to_dict() (worker state, the alerts topic)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import shapely.geometry

from alerts.errors import AlertError
from alerts.model import (
    Alert,
    AlertStatus,
    Approval,
    AuditEntry,
    CapRef,
    DistrictRef,
    MessageInput,
    Mode,
    MsgType,
    Tier,
)

__all__ = ["alert_from_dict", "facts_from_dict"]


def _time(value: str) -> datetime:
    at = datetime.fromisoformat(value)
    if at.tzinfo is None:
        raise AlertError(f"time {value!r} has no offset")
    return at


def facts_from_dict(d: Mapping[str, Any]) -> MessageInput:
    """MessageInput from its to_dict() form."""
    return MessageInput(
        hazard=d["hazard"],
        response=d["response"],
        place=d["place"],
        issued_at=_time(d["issued_at"]),
        place_detail=d.get("place_detail", ""),
        place_detail_en=d.get("place_detail_en", ""),
        distance_m=d.get("distance_m"),
        mode=Mode(d.get("mode", "Actual")),
        kind=d.get("kind", "alert"),
        urgent=bool(d.get("urgent", False)),
    )


def alert_from_dict(d: Mapping[str, Any]) -> Alert:
    """An Alert from Alert.to_dict() output (raises AlertError when it is not one)."""
    try:
        headline = dict(d.get("headlines") or {"ko": d["headline"]})
        return Alert(
            id=d["id"],
            incident_id=d["incident_id"],
            status=AlertStatus(d["status"]),
            tier=Tier(d["tier"]),
            severity=d["severity"],
            urgency=d["urgency"],
            certainty=d["certainty"],
            response_type=d["response_type"],
            cap_category=d["cap_category"],
            incident_type=d["incident_type"],
            hazard=d["hazard"],
            area=shapely.geometry.shape(d["area"]),
            districts=tuple(DistrictRef(x["code"], x["name"], x["level"]) for x in d["districts"]),
            headline=headline,
            message=dict(d["message"]),
            instruction=dict(d.get("instruction") or {}),
            event=dict(d.get("event") or {}),
            issued_at=_time(d["issued_at"]),
            expires_at=_time(d["expires_at"]),
            mode=Mode(d["mode"]),
            msg_type=MsgType(d["msg_type"]),
            revision=int(d["revision"]),
            references=tuple(
                CapRef(r["identifier"], _time(r["sent_at"])) for r in d.get("references", ())
            ),
            incident_ids=tuple(d.get("incident_ids") or (d["incident_id"],)),
            overshoot_ratio=float(d.get("overshoot_ratio", 0.0)),
            approvals_required=int(d.get("approvals_required", 1)),
            approvals=tuple(
                Approval(a["dispatcher"], _time(a["at"])) for a in d.get("approvals", ())
            ),
            audit=tuple(
                AuditEntry(_time(e["at"]), e["actor"], e["action"], e.get("detail", ""))
                for e in d.get("audit", ())
            ),
            sent_at=_time(d["sent_at"]) if d.get("sent_at") else None,
            facts=facts_from_dict(d["facts"]) if d.get("facts") else None,
            rule_id=str((d.get("why") or {}).get("rule", "")),
            why=str((d.get("why") or {}).get("reasons", "")),
            evidence=str((d.get("why") or {}).get("evidence", "")),
            silenced_by=d.get("silenced_by"),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise AlertError(f"not an alert record: {exc!r}") from exc
