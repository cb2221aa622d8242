"""Which alerts the public may see, and the personal-data-free view of one (pure)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from alerts import AlertError, alert_from_dict, is_public, public_view, redact_personal

__all__ = [
    "ACTIVE_ALERT_STATUSES",
    "PUBLIC_ALERTS",
    "alert_version",
    "current_public_alerts",
    "is_current",
    "is_public_alert",
    "public_action_of",
    "public_alert_view",
    "public_removal",
]

PUBLISHED = frozenset({"approved", "sent"})
WITHDRAWN = frozenset({"cancelled", "all_clear"})
ACTIVE_ALERT_STATUSES = frozenset({"draft", "approved", "sent"})
LIVE_MODES = frozenset({"Actual"})
PUBLIC_ALERTS = "publicalerts"
"""Read-model kind of what the public sees of each alert (active while it is shown: approved,
sent, or the all-clear / cancellation standing in place of a sent one)."""
_PLAIN_KEYS = (
    "id",
    "status",
    "severity",
    "area",
    "headline",
    "issued_at",
    "tier",
    "version",
    "expires_at",
)


def alert_version(alert: dict[str, Any]) -> int:
    """The alert's version for last-write-wins (contract ``version`` or alerts' ``revision``)."""
    return max(int(alert.get("version") or 1), int(alert.get("revision") or 1))


def public_action_of(alert: dict[str, Any]) -> str:
    """What public pages do with this record: ``none``, ``show``, ``drop`` or ``replace``.

    The record's own ``public_action`` when it carries one; otherwise judged by status (a
    withdrawal replaces its alert only when the alert had gone out, ``sent_at`` set, or, for
    bare contract records, was not a draft).

    >>> public_action_of({"status": "approved"})
    'show'
    >>> public_action_of({"status": "draft", "public_action": "none"})
    'none'
    """
    stated = alert.get("public_action")
    if stated in ("none", "show", "drop", "replace"):
        return str(stated)
    status = alert.get("status")
    if status in PUBLISHED:
        return "show"
    if status in WITHDRAWN:
        full = _full_record(alert)
        went_out = is_public(full) if full is not None else "sent_at" not in alert
        return "replace" if went_out else "drop"
    return "none"


def is_public_alert(alert: dict[str, Any]) -> bool:
    """True when the public may see this alert: approved or sent, or the all-clear or
    cancellation of a sent one (shown in its place). Drafts, alerts withdrawn before they
    went out, exercises and non-``Actual`` modes never."""
    if alert.get("exercise") or alert.get("mode", "Actual") not in LIVE_MODES:
        return False
    return public_action_of(alert) in ("show", "replace")


def is_current(view: dict[str, Any], now: datetime) -> bool:
    """True while a public view is in force: a withdrawal (all-clear, cancellation of a sent
    alert) stands in place of its alert until the alert's ``expires_at``, then goes."""
    if view.get("public_action") != "replace" or not view.get("expires_at"):
        return True
    try:
        return datetime.fromisoformat(str(view["expires_at"])) > now
    except ValueError:
        return True


def public_removal(alert: dict[str, Any]) -> dict[str, Any]:
    """What a public page is told of an alert it must no longer show: its id and version."""
    return {"id": alert["id"], "public_action": "drop", "version": alert_version(alert)}


def public_alert_view(alert: dict[str, Any]) -> dict[str, Any]:
    """What any public page shows: contract fields without personal data or audit."""
    full = _full_record(alert)
    if full is not None:
        view = public_view(full)
        headlines = alert.get("headlines") or {}
        view["headlines"] = {k: redact_personal(str(v)) for k, v in headlines.items()}
        view["districts"] = _district_names(alert.get("districts", []))
        view["version"] = alert_version(alert)
        view["public_action"] = public_action_of(alert)
        view.pop("incident_id", None)
        return view
    view = {k: alert[k] for k in _PLAIN_KEYS if k in alert}
    view["headline"] = redact_personal(str(alert.get("headline", "")))
    view["message"] = {k: redact_personal(str(v)) for k, v in alert.get("message", {}).items()}
    view["districts"] = _district_names(alert.get("districts", []))
    view["version"] = alert_version(alert)
    view["public_action"] = public_action_of(alert)
    return view


def _district_names(districts: list[Any]) -> list[str]:
    return [
        str(d.get("name", d.get("code", ""))) if isinstance(d, dict) else str(d) for d in districts
    ]


def _full_record(alert: dict[str, Any]) -> Any:
    """The alerts package's Alert when the record is its full form, else None."""
    if "revision" not in alert or "expires_at" not in alert:
        return None
    try:
        return alert_from_dict(alert)
    except AlertError:
        return None


class _ReadsActive(Protocol):
    async def active(self, kind: str) -> list[dict[str, Any]]: ...


async def current_public_alerts(readmodel: _ReadsActive, now: datetime) -> list[dict[str, Any]]:
    """What the public page shows now: every alert in force and every all-clear or cancellation
    standing in place of a sent alert until it expires (personal-data-free views)."""
    return [v for v in await readmodel.active(PUBLIC_ALERTS) if is_current(v, now)]
