"""Contract events for scenario tests, timed relative to now (KST)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

KST = timezone(timedelta(hours=9))
TOWER = (126.9780, 37.5665)  # central Seoul, inside the built-in city
ALLEY = (126.9870, 37.5600)


def at(seconds: float, base: datetime | None = None) -> str:
    """An RFC 3339 time ``seconds`` after ``base`` (default now), in KST."""
    return ((base or datetime.now(KST)) + timedelta(seconds=seconds)).astimezone(KST).isoformat()


def call(
    cid: str,
    lon: float,
    lat: float,
    category: str,
    t: str,
    *,
    phone: str | None = None,
    patients: int = 0,
) -> dict[str, Any]:
    return {
        "id": cid,
        "received_at": t,
        "location": {"lon": lon, "lat": lat, "accuracy_m": 30},
        "category": category,
        "patients": patients,
        "caller": {"phone": phone or f"+82-10-{abs(hash(cid)) % 10**8:08d}"},
    }


def cctv(
    eid: str,
    lon: float,
    lat: float,
    kind: str,
    confidence: float,
    t: str,
    density: float | None = None,
) -> dict[str, Any]:
    return {
        "id": eid,
        "detected_at": t,
        "camera_id": "CAM-T-1",
        "kind": kind,
        "confidence": confidence,
        "location": {"lon": lon, "lat": lat},
        "density_ppm2": density,
    }


def smoke_alarm(eid: str, lon: float, lat: float, t: str) -> dict[str, Any]:
    return {
        "id": eid,
        "measured_at": t,
        "sensor_id": "SMK-T-1",
        "kind": "smoke_detector",
        "value": 1.0,
        "unit": "alarm",
        "threshold": 1.0,
        "location": {"lon": lon, "lat": lat},
    }


def final_states(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The latest state (highest version) of each incident."""
    latest: dict[str, dict[str, Any]] = {}
    for rec in records:
        if rec["id"] not in latest or rec["version"] >= latest[rec["id"]]["version"]:
            latest[rec["id"]] = rec
    return latest


def evidence_owners(states: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    """Evidence id → the incidents that count it (exactly one when nothing is doubled)."""
    owners: dict[str, list[str]] = {}
    for inc in states.values():
        for ref in inc["evidence"]:
            owners.setdefault(ref["id"], []).append(inc["id"])
    return owners
