"""Alert records round-trip through JSON (worker state, the alerts topic)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from alert_samples import CITY_HALL, LITERAL_DISTRICTS, NOW, circle
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alerts import (
    SEOUL_ISSUER,
    AlertContext,
    AlertError,
    Mode,
    alert_from_dict,
    approve,
    cancel,
    draft_alert,
    mark_sent,
    public_event,
    to_cap,
)

CONTRACT_FIELDS = {
    "id",
    "incident_id",
    "status",
    "severity",
    "area",
    "districts",
    "headline",
    "message",
    "issued_at",
}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from(["gas_leak", "hazmat", "fire", "flood", "crowd"]),
    radius=st.floats(50, 2000),
    mode=st.sampled_from(list(Mode)),
    place=st.text(max_size=20),
    step=st.sampled_from(["draft", "sent", "cancelled"]),
)
def test_to_dict_round_trips(policy, kind, radius, mode, place, step):
    ctx = AlertContext(
        "inc-r",
        kind,
        1,
        *CITY_HALL,
        NOW,
        hazard_zone=circle(*CITY_HALL, radius),
        place=place,
        mode=mode,
        calls=25,
        sensors=1,
        mass_casualty=kind == "crowd",
    )
    alert = draft_alert(ctx, LITERAL_DISTRICTS, now=NOW, policy=policy).alert
    assert alert is not None
    if step != "draft":
        for who in ("kim", "park")[: alert.approvals_required]:
            alert = approve(alert, who, NOW)
        alert = mark_sent(alert, "kim", NOW, policy, live=mode is Mode.ACTUAL)
    if step == "cancelled":
        alert = cancel(alert, "lee", NOW + timedelta(minutes=1), "x", SEOUL_ISSUER, policy)
    record = json.loads(json.dumps(alert.to_dict(), ensure_ascii=False))
    assert set(record) >= CONTRACT_FIELDS and "ko" in record["message"]
    back = alert_from_dict(record)
    assert back.to_dict() == alert.to_dict()
    assert to_cap(back, SEOUL_ISSUER) == to_cap(alert, SEOUL_ISSUER)


def test_a_cancel_or_all_clear_of_a_sent_alert_replaces_it_on_public_pages(policy):
    from alerts import all_clear

    ctx = AlertContext("inc-s", "gas_leak", 2, *CITY_HALL, NOW, sensors=1)
    draft = draft_alert(ctx, LITERAL_DISTRICTS, now=NOW, policy=policy).alert
    assert draft is not None
    sent = mark_sent(approve(draft, "kim", NOW), "kim", NOW, policy, live=True)
    later = NOW + timedelta(minutes=30)
    for after in (
        all_clear(sent, "lee", later, SEOUL_ISSUER, policy),
        cancel(sent, "lee", later, "false alarm", SEOUL_ISSUER, policy),
    ):
        record = after.to_dict()
        assert record["id"] == sent.id and record["revision"] == sent.revision + 1
        assert record["public_action"] == "replace"


def test_a_draft_says_which_rule_drafted_it_and_on_what_evidence(policy):
    ctx = AlertContext("inc-e", "gas_leak", 2, *CITY_HALL, NOW, sensors=2, calls=1)
    record = draft_alert(ctx, LITERAL_DISTRICTS, now=NOW, policy=policy).alert.to_dict()
    assert record["why"]["rule"] == "gas_leak.measured_release"
    assert "2 sensor alarm" in record["why"]["reasons"]
    assert record["why"]["evidence"].startswith("1 calls, 2 sensor alarms")


def test_not_a_record_is_a_clear_error():
    with pytest.raises(AlertError):
        alert_from_dict({"id": "x"})


def test_public_event_only_for_sent_real_alerts(policy):
    ctx = AlertContext("inc-p", "gas_leak", 2, *CITY_HALL, NOW, sensors=1)
    draft = draft_alert(ctx, LITERAL_DISTRICTS, now=NOW, policy=policy).alert
    assert draft is not None and public_event(draft) is None
    sent = mark_sent(approve(draft, "kim", NOW), "kim", NOW, policy, live=True)
    assert public_event(sent) is not None
    drill_ctx = AlertContext("inc-d", "gas_leak", 2, *CITY_HALL, NOW, mode=Mode.TEST, sensors=1)
    drill = draft_alert(drill_ctx, LITERAL_DISTRICTS, now=NOW, policy=policy).alert
    drill = mark_sent(approve(drill, "kim", NOW), "kim", NOW, policy, live=False)
    assert public_event(drill) is None and public_event(drill, live=False) is not None


def test_withdrawn_draft_never_goes_public(policy):
    from lxml import etree

    from alerts import atom_feed, is_public

    ctx = AlertContext("inc-w", "gas_leak", 2, *CITY_HALL, NOW, sensors=1)
    draft = draft_alert(ctx, LITERAL_DISTRICTS, now=NOW, policy=policy).alert
    assert draft is not None and draft.to_dict()["public_action"] == "none"
    approved = approve(draft, "kim", NOW)  # approved (public) but held, e.g. by a rate limit
    assert approved.to_dict()["public_action"] == "show"
    withdrawn = cancel(approved, "kim", NOW, "duplicate", SEOUL_ISSUER, policy)
    assert not is_public(withdrawn) and public_event(withdrawn) is None
    assert withdrawn.to_dict()["public_action"] == "drop"  # the public page removes it
    cap = etree.fromstring(to_cap(withdrawn, SEOUL_ISSUER))
    assert cap.findtext("{urn:oasis:names:tc:emergency:cap:1.2}status") == "Draft"
    feed = atom_feed(
        [withdrawn], feed_url="u", cap_url=lambda a: a.id, issuer=SEOUL_ISSUER, now=NOW
    )
    assert b"<entry>" not in feed
