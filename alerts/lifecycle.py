"""Alert lifecycle: draft -> approved -> sent -> update / cancel / all-clear, audited."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime

from alerts.errors import (
    ApprovalError,
    LiveChannelError,
    QuietHoursError,
    TransitionError,
)
from alerts.message import compose_all
from alerts.model import (
    Alert,
    AlertStatus,
    Approval,
    AuditEntry,
    CapRef,
    Issuer,
    Mode,
    MsgType,
)
from alerts.phrases import PHRASEBOOKS, Phrasebook
from alerts.policy import Policy
from alerts.throttle import check_rate, quiet_until

__all__ = [
    "all_clear",
    "approve",
    "audit_delivery",
    "audited",
    "cancel",
    "mark_sent",
    "supersede",
    "withdraw",
]

_OPEN = (AlertStatus.DRAFT, AlertStatus.APPROVED)


def audited(alert: Alert, at: datetime, actor: str, action: str, detail: str = "") -> Alert:
    """The alert with one more audit entry."""
    return dataclasses.replace(alert, audit=(*alert.audit, AuditEntry(at, actor, action, detail)))


def _dispatcher(actor: str) -> str:
    actor = actor.strip()
    if not actor or actor == "system":
        raise ApprovalError("an approval needs a named human dispatcher")
    return actor


def approve(alert: Alert, dispatcher: str, at: datetime) -> Alert:
    """Record one dispatcher's approval; the alert is approved once enough distinct ones exist."""
    who = _dispatcher(dispatcher)
    if alert.status is not AlertStatus.DRAFT:
        raise TransitionError(f"alert {alert.id} is {alert.status.value}, not a draft")
    if any(a.dispatcher == who for a in alert.approvals):
        raise ApprovalError(f"{who} already approved alert {alert.id}; a second dispatcher must")
    approvals = (*alert.approvals, Approval(who, at))
    status = AlertStatus.APPROVED if len(approvals) >= alert.approvals_required else alert.status
    out = dataclasses.replace(alert, approvals=approvals, status=status)
    return audited(out, at, who, "approve", f"{len(approvals)}/{alert.approvals_required}")


def mark_sent(
    alert: Alert,
    actor: str,
    at: datetime,
    policy: Policy,
    *,
    live: bool,
    recent: Sequence[Alert] = (),
) -> Alert:
    """Mark an approved alert as sent, enforcing approvals, test-vs-live, quiet hours, rates."""
    distinct = {a.dispatcher for a in alert.approvals}
    if alert.status is AlertStatus.DRAFT or len(distinct) < alert.approvals_required:
        raise ApprovalError(
            f"alert {alert.id} needs {alert.approvals_required} approvals from different "
            f"dispatchers, has {len(distinct)}"
        )
    if alert.status is not AlertStatus.APPROVED:
        raise TransitionError(f"alert {alert.id} is {alert.status.value}, not approved")
    if live and alert.mode is not Mode.ACTUAL:
        raise LiveChannelError(f"{alert.mode.value} alert {alert.id} cannot be sent live")
    resume = quiet_until(alert, at, policy)
    if resume is not None:
        raise QuietHoursError(f"non-urgent alert {alert.id} held until {resume}", resume)
    check_rate(alert, recent, at, policy)
    out = dataclasses.replace(alert, status=AlertStatus.SENT, sent_at=at)
    return audited(out, at, actor, "send", "live" if live else "non-live")


def supersede(alert: Alert, at: datetime, msg_type: MsgType) -> Alert:
    """A new revision referencing the sent one (approvals cleared, not yet sent)."""
    if alert.sent_at is None:
        raise TransitionError(f"alert {alert.id} was never sent; nothing to reference")
    ref = CapRef(alert.cap_identifier, alert.sent_at)
    return dataclasses.replace(
        alert,
        revision=alert.revision + 1,
        msg_type=msg_type,
        references=(*alert.references, ref),
        approvals=(),
        sent_at=None,
        issued_at=at,
    )


def _reword(
    alert: Alert,
    kind: str,
    at: datetime,
    issuer: Issuer,
    policy: Policy,
    phrasebooks: dict[str, Phrasebook] | None,
) -> Alert:
    if alert.facts is None:
        return alert
    facts = dataclasses.replace(alert.facts, kind=kind, issued_at=at)
    msgs = compose_all(facts, list(alert.message), issuer, policy, phrasebooks or PHRASEBOOKS)
    return dataclasses.replace(
        alert,
        facts=facts,
        message={k: m.text for k, m in msgs.items()},
        headline={k: m.headline for k, m in msgs.items()},
        instruction={k: m.instruction for k, m in msgs.items()},
    )


def cancel(
    alert: Alert,
    dispatcher: str,
    at: datetime,
    reason: str,
    issuer: Issuer,
    policy: Policy,
    phrasebooks: dict[str, Phrasebook] | None = None,
) -> Alert:
    """Withdraw an unsent alert, or publish a CAP Cancel of a sent one (one dispatcher)."""
    who = _dispatcher(dispatcher)
    if alert.status in _OPEN:
        out = dataclasses.replace(alert, status=AlertStatus.CANCELLED)
        return audited(out, at, who, "withdraw", reason)
    if alert.status is not AlertStatus.SENT:
        raise TransitionError(f"alert {alert.id} is {alert.status.value}; cannot cancel")
    out = _reword(supersede(alert, at, MsgType.CANCEL), "cancel", at, issuer, policy, phrasebooks)
    out = dataclasses.replace(out, status=AlertStatus.CANCELLED, sent_at=at)
    return audited(out, at, who, "cancel", reason)


def withdraw(alert: Alert, at: datetime, reason: str, actor: str = "system") -> Alert:
    """Withdraw a draft nobody approved yet (its incident ended or no longer warrants it, or
    a supervisor's silence covers it): the record says why; nothing was public."""
    if alert.status is not AlertStatus.DRAFT or alert.approvals:
        raise TransitionError(
            f"alert {alert.id} is {alert.status.value}; only a draft is withdrawn"
        )
    out = dataclasses.replace(alert, status=AlertStatus.CANCELLED)
    return audited(out, at, actor, "withdraw", reason)


def all_clear(
    alert: Alert,
    dispatcher: str,
    at: datetime,
    issuer: Issuer,
    policy: Policy,
    phrasebooks: dict[str, Phrasebook] | None = None,
) -> Alert:
    """Publish the all-clear (CAP Update, responseType AllClear) of a sent alert."""
    who = _dispatcher(dispatcher)
    if alert.status is not AlertStatus.SENT:
        raise TransitionError(
            f"alert {alert.id} is {alert.status.value}; only a sent alert "
            "can be given the all-clear"
        )
    out = _reword(
        supersede(alert, at, MsgType.UPDATE), "all_clear", at, issuer, policy, phrasebooks
    )
    out = dataclasses.replace(
        out,
        status=AlertStatus.ALL_CLEAR,
        sent_at=at,
        response_type="AllClear",
        urgency="Past",
        severity="Minor",
        certainty="Observed",
    )
    return audited(out, at, who, "all_clear")


def audit_delivery(
    alert: Alert, channel: str, ok: bool, attempts: int, at: datetime, error: str = ""
) -> Alert:
    """The alert with a delivery outcome (delivered or dead-lettered) in its audit trail."""
    action = "deliver" if ok else "dead_letter"
    return audited(alert, at, f"channel:{channel}", action, f"attempts={attempts} {error}".strip())
