"""Atom feed of current public alerts, each entry linking its CAP document."""

from __future__ import annotations

from datetime import timedelta

from alert_samples import CITY_HALL, LITERAL_DISTRICTS, NOW, gas_leak
from lxml import etree

from alerts import (
    ATOM_MEDIA_TYPE,
    CAP_MEDIA_TYPE,
    SEOUL_ISSUER,
    Mode,
    approve,
    atom_feed,
    cancel,
    draft_alert,
    mark_sent,
)

A = {"a": "http://www.w3.org/2005/Atom"}


def feed(alerts, now=NOW + timedelta(minutes=1), live=True):
    doc = atom_feed(
        alerts,
        feed_url="https://gt.example/alerts/feed",
        cap_url=lambda a: f"https://gt.example/api/alerts/{a.id}/cap",
        issuer=SEOUL_ISSUER,
        now=now,
        live=live,
    )
    return etree.fromstring(doc)


def sent(policy, incident_id, mode=Mode.ACTUAL, lon=CITY_HALL[0]):
    ctx = gas_leak(incident_id, lon=lon, mode=mode)
    alert = draft_alert(ctx, LITERAL_DISTRICTS, now=NOW, policy=policy).alert
    assert alert is not None
    return mark_sent(approve(alert, "kim", NOW), "kim", NOW, policy, live=mode is Mode.ACTUAL)


def test_feed_lists_current_public_alerts_with_cap_links(policy):
    live = sent(policy, "a")
    drill = sent(policy, "b", Mode.EXERCISE, lon=CITY_HALL[0] + 0.02)
    draft = draft_alert(
        gas_leak("c", lon=CITY_HALL[0] + 0.04), LITERAL_DISTRICTS, now=NOW, policy=policy
    ).alert
    root = feed([live, drill, draft])
    entries = root.findall("a:entry", A)
    assert len(entries) == 1  # drafts never, drills not on the live feed
    link = entries[0].find("a:link", A)
    assert link is not None and link.get("type") == CAP_MEDIA_TYPE
    assert link.get("href") == f"https://gt.example/api/alerts/{live.id}/cap"
    assert root.find("a:link", A).get("type") == ATOM_MEDIA_TYPE  # type: ignore[union-attr]
    assert len(feed([live, drill], live=False).findall("a:entry", A)) == 2


def test_feed_shows_the_latest_revision_and_drops_expired(policy):
    first = sent(policy, "a")
    later = NOW + timedelta(minutes=3)
    cancelled = cancel(first, "lee", later, "false alarm", SEOUL_ISSUER, policy)
    entries = feed([first, cancelled]).findall("a:entry", A)
    assert len(entries) == 1 and "취소" in (entries[0].findtext("a:summary", namespaces=A) or "")
    assert entries[0].findtext("a:id", namespaces=A).endswith("#r2")  # type: ignore[union-attr]
    gone = feed([first], now=first.expires_at + timedelta(seconds=1))
    assert gone.findall("a:entry", A) == []
