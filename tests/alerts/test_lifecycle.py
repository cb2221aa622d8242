"""Lifecycle and safety: approvals, drills vs live, quiet hours, rate limits, audit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from alert_samples import CITY_HALL, LITERAL_DISTRICTS, NOW, crowd_crush, gas_leak, smoky_fire

from alerts import (
    KST,
    SEOUL_ISSUER,
    AlertContext,
    AlertStatus,
    ApprovalError,
    LiveChannelError,
    Mode,
    MsgType,
    QuietHoursError,
    RateLimitedError,
    Tier,
    TransitionError,
    all_clear,
    approve,
    cancel,
    draft_alert,
    mark_sent,
)


def critical_draft(policy, **kw):
    ctx = crowd_crush(**kw)
    alert = draft_alert(ctx, LITERAL_DISTRICTS, now=NOW, policy=policy).alert
    assert alert is not None and alert.tier is Tier.CRITICAL
    return alert


def safety_draft(policy, at):
    ctx = smoky_fire(at)
    alert = draft_alert(ctx, LITERAL_DISTRICTS, now=at, policy=policy).alert
    assert alert is not None and alert.tier is Tier.SAFETY
    return alert


def test_critical_alert_is_not_sent_with_one_approval(policy):
    alert = approve(critical_draft(policy), "kim", NOW)
    assert alert.status is AlertStatus.DRAFT and alert.approvals_required == 2
    with pytest.raises(ApprovalError):
        mark_sent(alert, "kim", NOW, policy, live=True)


def test_critical_alert_needs_two_different_dispatchers(policy):
    alert = approve(critical_draft(policy), "kim", NOW)
    with pytest.raises(ApprovalError):
        approve(alert, "kim", NOW + timedelta(seconds=5))
    with pytest.raises(ApprovalError):
        approve(alert, "system", NOW)
    alert = approve(alert, "lee", NOW + timedelta(seconds=9))
    assert alert.status is AlertStatus.APPROVED
    sent = mark_sent(alert, "lee", NOW + timedelta(seconds=10), policy, live=True)
    assert sent.status is AlertStatus.SENT
    assert [(e.actor, e.action) for e in sent.audit] == [
        ("system", "draft"),
        ("kim", "approve"),
        ("lee", "approve"),
        ("lee", "send"),
    ]
    assert all(e.at.tzinfo is not None for e in sent.audit)


def test_emergency_alert_needs_one_approval(policy):
    alert = draft_alert(gas_leak(), LITERAL_DISTRICTS, now=NOW, policy=policy).alert
    assert alert is not None and alert.approvals_required == 1
    with pytest.raises(ApprovalError):
        mark_sent(alert, "kim", NOW, policy, live=True)
    sent = mark_sent(approve(alert, "kim", NOW), "kim", NOW, policy, live=True)
    assert sent.sent_at == NOW
    with pytest.raises(TransitionError):
        approve(sent, "lee", NOW)


@pytest.mark.parametrize("mode", [Mode.EXERCISE, Mode.TEST])
def test_drill_cannot_be_sent_live(policy, mode):
    alert = draft_alert(gas_leak(mode=mode), LITERAL_DISTRICTS, now=NOW, policy=policy).alert
    assert alert is not None and alert.mode is mode
    alert = approve(alert, "kim", NOW)
    with pytest.raises(LiveChannelError):
        mark_sent(alert, "kim", NOW, policy, live=True)
    assert mark_sent(alert, "kim", NOW, policy, live=False).status is AlertStatus.SENT


@pytest.mark.parametrize(
    ("hour", "held"), [(23, True), (2, True), (6, True), (7, False), (12, False), (22, False)]
)
def test_quiet_hours_hold_safety_guidance(policy, hour, held):
    at = NOW.replace(hour=hour, minute=30)
    alert = approve(safety_draft(policy, at), "kim", at)
    if not held:
        assert mark_sent(alert, "kim", at, policy, live=True).status is AlertStatus.SENT
        return
    with pytest.raises(QuietHoursError) as err:
        mark_sent(alert, "kim", at, policy, live=True)
    resume = err.value.resume_at
    assert resume.astimezone(KST).hour == 7 and resume > at


def test_quiet_hours_never_hold_an_emergency(policy):
    at = NOW.replace(hour=3)
    alert = draft_alert(gas_leak(), LITERAL_DISTRICTS, now=at, policy=policy).alert
    assert alert is not None
    assert mark_sent(approve(alert, "kim", at), "kim", at, policy, live=True).sent_at == at


def test_rate_limit_per_district(policy):
    sent = []
    for k in range(policy.rate_max_per_district):
        at = NOW + timedelta(minutes=k)
        ctx = AlertContext(f"inc-{k}", "collapse", 1, *CITY_HALL, at, calls=3)
        alert = draft_alert(ctx, LITERAL_DISTRICTS, now=at, policy=policy).alert
        assert alert is not None
        sent.append(mark_sent(approve(alert, "kim", at), "kim", at, policy, live=True, recent=sent))
    at = NOW + timedelta(minutes=10)
    ctx = AlertContext("inc-next", "traffic", 1, *CITY_HALL, at, on_major_road=True)
    alert = approve(draft_alert(ctx, LITERAL_DISTRICTS, now=at, policy=policy).alert, "kim", at)
    with pytest.raises(RateLimitedError):
        mark_sent(alert, "kim", at, policy, live=True, recent=sent)
    later = NOW + timedelta(seconds=policy.rate_window_s + 60)
    assert mark_sent(alert, "kim", later, policy, live=True, recent=sent).sent_at == later
    crit = approve(approve(critical_draft(policy), "kim", at), "lee", at)
    assert mark_sent(crit, "lee", at, policy, live=True, recent=sent).sent_at == at


def test_cancel_and_all_clear(policy):
    alert = draft_alert(gas_leak(), LITERAL_DISTRICTS, now=NOW, policy=policy).alert
    withdrawn = cancel(alert, "kim", NOW, "duplicate call", SEOUL_ISSUER, policy)
    assert withdrawn.status is AlertStatus.CANCELLED and withdrawn.msg_type is MsgType.ALERT
    sent = mark_sent(approve(alert, "kim", NOW), "kim", NOW, policy, live=True)
    later = NOW + timedelta(minutes=40)
    cancelled = cancel(sent, "lee", later, "false alarm", SEOUL_ISSUER, policy)
    assert cancelled.msg_type is MsgType.CANCEL and cancelled.revision == 2
    assert "취소" in cancelled.message["ko"] and "cancelled" in cancelled.message["en"]
    clear = all_clear(sent, "lee", later, SEOUL_ISSUER, policy)
    assert clear.status is AlertStatus.ALL_CLEAR and clear.response_type == "AllClear"
    assert "종료" in clear.message["ko"] and clear.audit[-1].action == "all_clear"
    with pytest.raises(TransitionError):
        all_clear(alert, "lee", later, SEOUL_ISSUER, policy)
    with pytest.raises(TransitionError):
        cancel(cancelled, "lee", later, "again", SEOUL_ISSUER, policy)


def test_delivery_outcomes_join_the_audit_trail(policy):
    from alerts import audit_delivery

    alert = draft_alert(gas_leak(), LITERAL_DISTRICTS, now=NOW, policy=policy).alert
    sent = mark_sent(approve(alert, "kim", NOW), "kim", NOW, policy, live=True)
    out = audit_delivery(sent, "sns", False, 5, NOW, "HTTP 503")
    assert (out.audit[-1].actor, out.audit[-1].action) == ("channel:sns", "dead_letter")
    assert "HTTP 503" in out.audit[-1].detail


def test_bad_incident_is_a_clear_error():
    from alerts import AlertError, context_from_incident

    with pytest.raises(AlertError):
        context_from_incident({"id": "x", "type": "fire"})
    with pytest.raises(AlertError):
        context_from_incident(
            {
                "id": "x",
                "type": "fire",
                "priority": 1,
                "location": {"lon": 1, "lat": 2},
                "opened_at": "2026-11-21T13:05:09",
            }
        )
