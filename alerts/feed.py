"""Atom feed of current public alerts, each entry linking its CAP document."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from lxml import etree

from alerts.cap import CAP_MEDIA_TYPE, xml_safe
from alerts.model import Alert, Issuer, Mode, rfc3339
from alerts.public import is_public, redact_personal

__all__ = ["ATOM_MEDIA_TYPE", "ATOM_NS", "atom_feed", "current_alerts"]

ATOM_NS = "http://www.w3.org/2005/Atom"
ATOM_MEDIA_TYPE = "application/atom+xml"
_A = f"{{{ATOM_NS}}}"


def current_alerts(alerts: Iterable[Alert], now: datetime, *, live: bool = True) -> list[Alert]:
    """Alerts a public feed shows now: latest public revision per id, unexpired, real if live."""
    latest: dict[str, Alert] = {}
    for a in alerts:
        if not is_public(a):
            continue
        if a.id not in latest or a.revision > latest[a.id].revision:
            latest[a.id] = a
    out = [a for a in latest.values() if a.expires_at > now and (not live or a.mode is Mode.ACTUAL)]
    return sorted(out, key=lambda a: a.sent_at or a.issued_at, reverse=True)


def _sub(parent: Any, tag: str, text: str | None = None, **attrs: str) -> Any:
    el = etree.SubElement(parent, _A + tag, attrs)
    if text is not None:
        el.text = xml_safe(text)
    return el


def atom_feed(
    alerts: Iterable[Alert],
    *,
    feed_url: str,
    cap_url: Callable[[Alert], str],
    issuer: Issuer,
    now: datetime,
    live: bool = True,
) -> bytes:
    """An Atom 1.0 feed (UTF-8 bytes) of the current public alerts."""
    shown = current_alerts(alerts, now, live=live)
    feed = etree.Element(_A + "feed", nsmap={None: ATOM_NS})
    _sub(feed, "id", feed_url)
    _sub(feed, "title", f"{issuer.name('ko')} 재난문자 / {issuer.name('en')} public alerts")
    _sub(feed, "updated", rfc3339(max((a.sent_at or a.issued_at for a in shown), default=now)))
    _sub(feed, "link", rel="self", href=feed_url, type="application/atom+xml")
    author = _sub(feed, "author")
    _sub(author, "name", issuer.name("en"))
    for alert in shown:
        entry = _sub(feed, "entry")
        url = cap_url(alert)
        _sub(entry, "id", f"{url}#r{alert.revision}")
        _sub(entry, "title", redact_personal(alert.headline.get("ko", alert.id)))
        _sub(entry, "updated", rfc3339(alert.sent_at or alert.issued_at))
        _sub(entry, "link", rel="alternate", href=url, type=CAP_MEDIA_TYPE)
        _sub(entry, "category", term=alert.severity)
        summary = "\n".join(redact_personal(t) for t in alert.message.values())
        _sub(entry, "summary", summary)
    return bytes(etree.tostring(feed, xml_declaration=True, encoding="UTF-8"))
