"""A corpus of hostile payloads for every input event, each labelled with what it tries."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import orjson

from scenarios.generator import KST

__all__ = ["PLAUSIBILITY", "SCRIPTS", "TOLERATED", "corpus", "valid_event"]

SCRIPTS = [
    "<script>alert(document.cookie)</script>",
    "<img src=x onerror=alert(1)>",
    "'; DROP TABLE incidents; --",
    '" OR 1=1 --',
    "{{7*7}} ${7*7} `rm -rf /`",
    "\u202eRTL override \u0000 nul",
]
"""Free text that must stay text: stored and shown, never executed or rendered as HTML."""

PLAUSIBILITY = frozenset({"far-outside-city", "null-island", "far-past", "far-future"})
"""Contract-valid but implausible: HTTP ingest may accept them; the worker dead-letters them."""

TOLERATED = frozenset({"unknown-field", "coords-as-strings"})
"""Accepted on purpose: unknown fields are ignored (senders may extend the contract) and
numeric strings are read as numbers (pydantic's lax mode); neither is dead-lettered."""

CENTER = (126.978, 37.5665)


def _now(seconds: float = 0) -> str:
    return (datetime.now(KST) + timedelta(seconds=seconds)).isoformat()


def valid_event(base: str, eid: str, text: str | None = None) -> dict[str, Any]:
    """A contract-valid event of input topic ``base`` (free text ``text`` where it fits)."""
    lon, lat = CENTER
    if base == "calls":
        return {
            "id": eid,
            "received_at": _now(-5),
            "category": "fire",
            "location": {"lon": lon, "lat": lat, "accuracy_m": 20},
            "description": text or "연기가 납니다",
            "caller": {"phone": "+82-10-5555-0101"},
        }
    if base == "cctv-events":
        return {
            "id": eid,
            "detected_at": _now(-5),
            "camera_id": "CAM-X",
            "kind": "smoke",
            "confidence": 0.9,
            "location": {"lon": lon, "lat": lat},
        }
    if base == "sensor-alarms":
        return {
            "id": eid,
            "measured_at": _now(-5),
            "sensor_id": "SMK-X",
            "kind": "smoke_detector",
            "value": 1.0,
            "unit": "alarm",
            "location": {"lon": lon, "lat": lat},
        }
    return {
        "unit_id": eid,
        "at": _now(-5),
        "kind": "engine",
        "status": "available",
        "location": {"lon": lon, "lat": lat},
    }


TIME_FIELD = {
    "calls": "received_at",
    "cctv-events": "detected_at",
    "sensor-alarms": "measured_at",
    "unit-status": "at",
}


def _mutate(base: str, eid: str, change: Callable[[dict[str, Any]], None]) -> bytes:
    event = copy.deepcopy(valid_event(base, eid))
    change(event)
    return orjson.dumps(event)


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(event: dict[str, Any]) -> None:
        *parents, leaf = path.split(".")
        for p in parents:
            event = event[p]
        event[leaf] = value

    return change


def _drop(name: str) -> Callable[[dict[str, Any]], None]:
    return lambda event: event.pop(name, None) and None


def corpus(base: str, tag: str) -> list[tuple[str, bytes]]:
    """(label, raw payload) pairs for topic ``base``; all but :data:`TOLERATED` are refused."""
    eid = f"{tag}-{base}"
    id_field = "unit_id" if base == "unit-status" else "id"
    when = TIME_FIELD[base]
    good = orjson.dumps(valid_event(base, eid))
    nested = b'{"id": "' + eid.encode() + b'", "x": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    out = [
        ("not-json", b'{"id": "' + eid.encode() + b'", "location": '),
        ("empty", b""),
        ("json-null", b"null"),
        ("json-array", b"[1, 2, 3]"),
        ("json-string", b'"just a string"'),
        ("invalid-utf8", b'{"id": "\xff\xfe\xfd", "x": "\xc3\x28"}'),
        ("utf16-bom", "\ufeff".encode("utf-16") + good),
        ("deeply-nested", nested),
        ("nan-literal", good.replace(b'"lat":37.5665', b'"lat":NaN')),
        ("infinity-literal", good.replace(b'"lon":126.978', b'"lon":Infinity')),
        ("huge-exponent", good.replace(b'"lon":126.978', b'"lon":1e999')),
        ("lon-out-of-range", _mutate(base, eid, _set("location.lon", 200.0))),
        ("lat-out-of-range", _mutate(base, eid, _set("location.lat", -95.0))),
        ("coords-as-strings", _mutate(base, eid, _set("location.lon", "126.9"))),
        ("location-wrong-type", _mutate(base, eid, _set("location", "Seoul City Hall"))),
        ("id-wrong-type", _mutate(base, eid, _set(id_field, 12345))),
        ("id-with-spaces-and-html", _mutate(base, eid, _set(id_field, "<b>x</b> y"))),
        ("id-too-long", _mutate(base, eid, _set(id_field, "x" * 5000))),
        ("missing-id", _mutate(base, eid, _drop(id_field))),
        ("missing-time", _mutate(base, eid, _drop(when))),
        ("naive-time", _mutate(base, eid, _set(when, "2026-11-21T10:00:00"))),
        ("garbage-time", _mutate(base, eid, _set(when, "yesterday at noon"))),
        ("unknown-field", _mutate(base, eid, _set("injected", {"$where": "1==1"}))),
        ("far-outside-city", _mutate(base, eid, _set("location", {"lon": 129.07, "lat": 35.18}))),
        ("null-island", _mutate(base, eid, _set("location", {"lon": 0.0, "lat": 0.0}))),
        ("far-past", _mutate(base, eid, _set(when, "1970-01-01T00:00:00+09:00"))),
        ("far-future", _mutate(base, eid, _set(when, "2999-12-31T23:59:59+09:00"))),
        ("string-300kb", _mutate(base, eid, _set("note", "가" * 100_000))),
    ]
    if base == "calls":
        out += [
            ("category-unknown", _mutate(base, eid, _set("category", "alien-invasion"))),
            ("patients-negative", _mutate(base, eid, _set("patients", -3))),
            ("patients-huge", _mutate(base, eid, _set("patients", 10**12))),
            ("description-too-long", _mutate(base, eid, _set("description", "<p>" * 2000))),
            ("phone-too-long", _mutate(base, eid, _set("caller.phone", "1" * 500))),
        ]
    if base == "cctv-events":
        out += [
            ("confidence-nan", good.replace(b'"confidence":0.9', b'"confidence":NaN')),
            ("confidence-above-one", _mutate(base, eid, _set("confidence", 7.0))),
        ]
    if base == "sensor-alarms":
        out += [("value-as-list", _mutate(base, eid, _set("value", [1, 2])))]
    if base == "unit-status":
        out += [("status-unknown", _mutate(base, eid, _set("status", "teleporting")))]
    return out
