"""CAP 1.2: every generated document validates against the OASIS schema."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from alert_samples import CITY_HALL, LITERAL_DISTRICTS, NOW, circle, gas_leak
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from lxml import etree

from alerts import (
    PHRASEBOOKS,
    SEOUL_ISSUER,
    AlertContext,
    CapValidationError,
    Mode,
    all_clear,
    approve,
    cancel,
    cap_polygon,
    draft_alert,
    mark_sent,
    to_cap,
    validate_cap,
)
from alerts.cap import CAP_NS

NS = {"c": CAP_NS}
JAPANESE = dataclasses.replace(
    PHRASEBOOKS["en"], language="ja", tags={"Exercise": "[訓練] ", "Test": "[試験] ", "Actual": ""}
)
BOOKS = {**PHRASEBOOKS, "ja": JAPANESE}
ALERTING_TYPES = ["gas_leak", "hazmat", "fire", "flood", "collapse", "crowd", "traffic"]


def _sent(alert, policy):
    for who in ("kim", "lee")[: alert.approvals_required]:
        alert = approve(alert, who, alert.issued_at)
    return mark_sent(alert, "kim", alert.issued_at, policy, live=alert.mode is Mode.ACTUAL)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from(ALERTING_TYPES),
    priority=st.integers(1, 2),
    dlon=st.floats(-0.03, 0.03),
    dlat=st.floats(-0.02, 0.02),
    radius=st.one_of(st.none(), st.floats(20, 4000)),
    mode=st.sampled_from(list(Mode)),
    langs=st.sampled_from([(), ("ja",)]),
    mass=st.booleans(),
    hour=st.integers(7, 22),
    place=st.text(max_size=40),
    incident_id=st.text(min_size=1, max_size=20),
)
def test_every_generated_cap_document_validates(
    policy, kind, priority, dlon, dlat, radius, mode, langs, mass, hour, place, incident_id
):
    lon, lat = CITY_HALL[0] + dlon, CITY_HALL[1] + dlat
    now = NOW.replace(hour=hour)
    zone = circle(lon, lat, radius) if radius else None
    ctx = AlertContext(
        incident_id,
        kind,
        priority,
        lon,
        lat,
        now,
        hazard_zone=zone,
        place=place,
        mode=mode,
        mass_casualty=mass,
        calls=25,
        sensors=1,
        cameras=1,
        on_major_road=True,
    )
    out = draft_alert(
        ctx,
        LITERAL_DISTRICTS,
        now=now,
        policy=policy,
        languages=["ko", "en", *langs],
        phrasebooks=BOOKS,
    )
    assume(out.alert is not None)  # a crowd without a crush is no public alert
    assert out.alert is not None
    docs = [to_cap(out.alert, SEOUL_ISSUER)]
    sent = _sent(out.alert, policy)
    docs.append(to_cap(sent, SEOUL_ISSUER))
    later = now + timedelta(minutes=10)
    docs.append(
        to_cap(cancel(sent, "park", later, "test", SEOUL_ISSUER, policy, BOOKS), SEOUL_ISSUER)
    )
    docs.append(to_cap(all_clear(sent, "park", later, SEOUL_ISSUER, policy, BOOKS), SEOUL_ISSUER))
    for doc in docs:
        validate_cap(doc)
        tree = etree.fromstring(doc)
        infos = tree.findall("c:info", NS)
        assert [i.findtext("c:language", namespaces=NS) for i in infos][:2] == ["ko-KR", "en-US"]
        assert len(infos) == 2 + len(langs)
    status = etree.fromstring(docs[1]).findtext("c:status", namespaces=NS)
    assert status == mode.value  # Exercise/Test marked in CAP end to end
    assert etree.fromstring(docs[0]).findtext("c:status", namespaces=NS) == "Draft"


def test_polygon_is_lat_lon_and_closed(policy):
    out = draft_alert(gas_leak(), LITERAL_DISTRICTS, now=NOW, policy=policy)
    assert out.alert is not None
    text = cap_polygon(out.alert.area)
    pairs = [tuple(map(float, p.split(","))) for p in text.split()]
    assert pairs[0] == pairs[-1] and len(pairs) >= 4
    assert all(37 < lat < 38 and 126 < lon < 128 for lat, lon in pairs)  # lat first!
    doc = etree.fromstring(to_cap(out.alert, SEOUL_ISSUER))
    codes = [g.findtext("c:value", namespaces=NS) for g in doc.iter(f"{{{CAP_NS}}}geocode")]
    assert "11110" in codes


def test_update_and_cancel_reference_the_sent_message(policy):
    first = _sent(draft_alert(gas_leak(), LITERAL_DISTRICTS, now=NOW, policy=policy).alert, policy)
    later = NOW + timedelta(minutes=5)
    update = draft_alert(
        gas_leak("inc-gas-2", lon=CITY_HALL[0] + 0.001),
        LITERAL_DISTRICTS,
        now=later,
        existing=[first],
        policy=policy,
    ).alert
    assert update is not None
    doc = etree.fromstring(to_cap(update, SEOUL_ISSUER))
    assert doc.findtext("c:msgType", namespaces=NS) == "Update"
    ref = doc.findtext("c:references", namespaces=NS)
    assert ref == f"{SEOUL_ISSUER.sender_id},{first.cap_identifier},2026-11-21T13:05:00+09:00"
    cancelled = etree.fromstring(
        to_cap(cancel(first, "lee", later, "x", SEOUL_ISSUER, policy), SEOUL_ISSUER)
    )
    assert cancelled.findtext("c:msgType", namespaces=NS) == "Cancel"
    assert first.cap_identifier in (cancelled.findtext("c:references", namespaces=NS) or "")


@pytest.mark.parametrize(
    "mutate",
    [
        lambda s: s.replace("<msgType>Alert</msgType>", "<msgType>Warning</msgType>"),
        lambda s: s.replace("<scope>Public</scope>", ""),
        lambda s: s.replace("+09:00</sent>", "Z</sent>"),
        lambda s: s.replace("<urgency>Immediate</urgency>", "<urgency>Now</urgency>"),
        lambda s: s.replace("</polygon>", " 37.1,126.1</polygon>"),
        lambda s: s.replace("<sender>goldentime@", "<sender>gold time@"),
        lambda s: s[:-20],
    ],
)
def test_invalid_documents_are_rejected(policy, mutate):
    out = draft_alert(gas_leak(), LITERAL_DISTRICTS, now=NOW, policy=policy)
    assert out.alert is not None
    good = to_cap(_sent(out.alert, policy), SEOUL_ISSUER).decode()
    validate_cap(good.encode())
    with pytest.raises(CapValidationError):
        validate_cap(mutate(good).encode())


def test_exercise_note_in_cap(policy):
    ctx = gas_leak(mode=Mode.EXERCISE)
    alert = _sent(draft_alert(ctx, LITERAL_DISTRICTS, now=NOW, policy=policy).alert, policy)
    doc = etree.fromstring(to_cap(alert, SEOUL_ISSUER))
    assert "EXERCISE" in (doc.findtext("c:note", namespaces=NS) or "")
    assert all("[훈련]" in t or "[DRILL]" in t for t in alert.message.values())
