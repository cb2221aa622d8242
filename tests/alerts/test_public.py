"""No phone number or caller detail in any public output: messages, CAP, Atom, webhook body."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from alert_samples import LITERAL_DISTRICTS, NOW, gas_leak
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alerts import (
    SEOUL_ISSUER,
    all_clear,
    approve,
    atom_feed,
    cancel,
    draft_alert,
    find_personal,
    mark_sent,
    public_view,
    redact_personal,
    to_cap,
)
from alerts.channels import public_json

PHONES = [
    "010-1234-5678",
    "01012345678",
    "+82-10-1234-5678",
    "+82 10 1234 5678",
    "02-123-4567",
    "(02) 1234-5678",
    "031.123.4567",
    "0505-123-4567",
    "010 9876 5432",
]
phone = st.sampled_from(PHONES) | st.from_regex(r"01[016789]-\d{4}-\d{4}", fullmatch=True)
email = st.from_regex(r"[a-z]{3,8}@[a-z]{3,8}\.(com|kr)", fullmatch=True)


@pytest.mark.parametrize("number", PHONES)
def test_phone_formats_are_found_and_redacted(number):
    text = f"세종대로 110 신고자 {number} 김철수"
    assert find_personal(text)
    assert not find_personal(redact_personal(text))
    assert "세종대로 110" in redact_personal(text)


@pytest.mark.parametrize(
    "text",
    [
        "13:05",
        "세종대로 110",
        "300m",
        "11.21. 13:05",
        "2026-11-21T13:05:00+09:00",
        "37.566500,126.978000",
    ],
)
def test_ordinary_numbers_are_not_personal(text):
    assert find_personal(text) == []


def _public_outputs(alerts):
    feed = atom_feed(
        alerts,
        feed_url="https://gt.example/alerts/feed",
        cap_url=lambda a: f"https://gt.example/api/alerts/{a.id}/cap",
        issuer=SEOUL_ISSUER,
        now=NOW + timedelta(minutes=1),
    ).decode()
    out = [feed]
    for a in alerts:
        out += [
            to_cap(a, SEOUL_ISSUER).decode(),
            json.dumps(public_view(a), ensure_ascii=False),
            public_json(a).decode(),
            *a.message.values(),
            *a.headline.values(),
        ]
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(number=phone, mail=email, prefix=st.text(max_size=15), suffix=st.text(max_size=15))
def test_no_phone_number_in_any_public_output(policy, number, mail, prefix, suffix):
    place = f"{prefix} 신고자 {number} {mail} {suffix}"
    ctx = gas_leak(place=place, place_en=f"caller {number}")
    alert = draft_alert(ctx, LITERAL_DISTRICTS, now=NOW, policy=policy).alert
    assert alert is not None
    sent = mark_sent(approve(alert, "kim", NOW), "kim", NOW, policy, live=True)
    later = NOW + timedelta(seconds=30)
    outputs = _public_outputs(
        [
            sent,
            cancel(sent, "lee", later, number, SEOUL_ISSUER, policy),
            all_clear(sent, "lee", later, SEOUL_ISSUER, policy),
        ]
    )
    for text in outputs:
        assert number not in text and mail not in text
        public_sender = text.replace(SEOUL_ISSUER.sender_id, "")  # the agency's own address
        assert not find_personal(public_sender), find_personal(public_sender)


def test_public_view_has_no_dispatchers_or_audit(policy):
    alert = draft_alert(gas_leak(), LITERAL_DISTRICTS, now=NOW, policy=policy).alert
    sent = mark_sent(
        approve(alert, "dispatcher-kim", NOW), "dispatcher-kim", NOW, policy, live=True
    )
    for text in _public_outputs([sent]):
        assert "dispatcher-kim" not in text
    assert "dispatcher-kim" in json.dumps(sent.to_dict())  # internal record keeps the audit
