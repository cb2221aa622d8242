"""Public output hygiene: strip personal data and build the public view of an alert."""

from __future__ import annotations

import re
from typing import Any

import shapely.geometry

from alerts.model import Alert, AlertStatus, Mode, rfc3339

__all__ = [
    "PUBLIC_STATUSES",
    "find_personal",
    "is_public",
    "public_event",
    "public_view",
    "redact_personal",
]

PUBLIC_STATUSES = frozenset({AlertStatus.SENT, AlertStatus.CANCELLED, AlertStatus.ALL_CLEAR})

# Korean mobile/landline/050x numbers and international +82 forms, with -, ., space or none
_PHONE = re.compile(
    r"(?<!\d)(?:\+?\s?82[-.\s]?\(?0?\)?\s?|\(?0)"
    r"(?:1[016789]|2|[3-6][1-5]|50[2-8]|70|80)\)?[-.\s]?\d{3,4}[-.\s]?\d{4}(?!\d)"
)
_LONG_DIGITS = re.compile(r"(?<![\d.])(?:\+?\d[-\s]?){9,}\d(?![\d.])")  # not decimals
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_REDACTED = "[비공개]"
_EMPTY_BRACKETS = re.compile(r"\s*(?:\(\s*\)|\[\s*\]|（\s*）)")


def is_public(alert: Alert) -> bool:
    """True once an alert has gone out (sent, or a sent one cancelled / all-cleared)."""
    return alert.status in PUBLIC_STATUSES and alert.sent_at is not None


def find_personal(text: str) -> list[str]:
    """Phone numbers, e-mail addresses and long digit runs found in a text."""
    return [m.group(0) for rx in (_PHONE, _LONG_DIGITS, _EMAIL) for m in rx.finditer(text)]


def redact_personal(text: str) -> str:
    """The text with phone numbers, e-mail addresses and long digit runs removed."""
    for rx in (_PHONE, _LONG_DIGITS, _EMAIL):
        text = rx.sub(_REDACTED, text)
    text = text.replace(_REDACTED, "")
    return _EMPTY_BRACKETS.sub("", text).strip()


def public_view(alert: Alert) -> dict[str, Any]:
    """What any public channel may show: contract fields only, no audit, no dispatchers."""
    return {
        "id": alert.id,
        "incident_id": alert.incident_id,
        "status": alert.status.value,
        "severity": alert.severity,
        "area": shapely.geometry.mapping(alert.area),
        "districts": [d.to_dict() for d in alert.districts],
        "headline": alert.headline["ko"],
        "message": {lang: redact_personal(text) for lang, text in alert.message.items()},
        "issued_at": rfc3339(alert.issued_at),
        "tier": alert.tier.value,
        "mode": alert.mode.value,
        "msg_type": alert.msg_type.value,
        "revision": alert.revision,
        "expires_at": rfc3339(alert.expires_at),
    }


def public_event(alert: Alert, *, live: bool = True) -> dict[str, Any] | None:
    """What /ws/public pushes for an alert, or None when the public must not see it."""
    if not is_public(alert):
        return None  # drafts, approved-but-unsent and withdrawn alerts never go public
    if live and alert.mode is not Mode.ACTUAL:
        return None  # drills and tests never reach the live public feed
    return public_view(alert)
