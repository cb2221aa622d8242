"""Which alerts the public may see, and the personal-data-free view of one (pure)."""

from __future__ import annotations

from typing import Any

from alerts import AlertError, alert_from_dict, is_public, public_view, redact_personal

__all__ = ["ACTIVE_ALERT_STATUSES", "alert_version", "is_public_alert", "public_alert_view"]

PUBLISHED = frozenset({"approved", "sent"})
WITHDRAWN = frozenset({"cancelled", "all_clear"})
ACTIVE_ALERT_STATUSES = frozenset({"draft", "approved", "sent"})
LIVE_MODES = frozenset({"Actual"})
_PLAIN_KEYS = ("id", "status", "severity", "area", "headline", "issued_at", "tier", "version")


def alert_version(alert: dict[str, Any]) -> int:
    """The alert's version for last-write-wins (contract ``version`` or alerts' ``revision``)."""
    return max(int(alert.get("version") or 1), int(alert.get("revision") or 1))


def is_public_alert(alert: dict[str, Any]) -> bool:
    """True when the public may see this alert: approved or sent, or a withdrawal of a sent one.

    Drafts never; exercises and non-``Actual`` modes never; a cancelled/all-clear alert only
    when it had gone out (``sent_at`` set) or, for bare contract records, was not a draft.
    """
    if alert.get("exercise") or alert.get("mode", "Actual") not in LIVE_MODES:
        return False
    status = alert.get("status")
    if status in PUBLISHED:
        return True
    if status in WITHDRAWN:
        full = _full_record(alert)
        return is_public(full) if full is not None else "sent_at" not in alert
    return False


def public_alert_view(alert: dict[str, Any]) -> dict[str, Any]:
    """What any public page shows: contract fields without personal data or audit."""
    full = _full_record(alert)
    if full is not None:
        view = public_view(full)
        headlines = alert.get("headlines") or {}
        view["headlines"] = {k: redact_personal(str(v)) for k, v in headlines.items()}
        view["districts"] = _district_names(alert.get("districts", []))
        view["version"] = alert_version(alert)
        view.pop("incident_id", None)
        return view
    view = {k: alert[k] for k in _PLAIN_KEYS if k in alert}
    view["headline"] = redact_personal(str(alert.get("headline", "")))
    view["message"] = {k: redact_personal(str(v)) for k, v in alert.get("message", {}).items()}
    view["districts"] = _district_names(alert.get("districts", []))
    view["version"] = alert_version(alert)
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
