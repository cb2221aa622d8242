"""The ``road-closures`` records in the console's read model: each structure's latest state,
the last hour of its readings (the board's trend) and what the public sees of closed ones."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from console.readmodel import WriteBatch

__all__ = [
    "PUBLIC_CLOSURES",
    "PUBLIC_FIELDS",
    "READINGS",
    "ROAD_CLOSURES",
    "STATES",
    "STRUCTURES",
    "closure_removal",
    "public_closure",
    "reading_entries",
    "store_closure",
]

ROAD_CLOSURES = "road-closures"
"""The topic of structure states (compacted, keyed by structure id, latest state)."""
STRUCTURES = "structures"
"""Read-model kind: the latest ``road-closures`` record of each structure (active while the
structure is not open, so a console's snapshot carries only those)."""
PUBLIC_CLOSURES = "publicclosures"
"""Read-model kind: what the public sees of each closed structure."""
READINGS = "structure-readings"
"""Read-model time series: each structure's readings of the last hour (the board's trend)."""
STATES = ("open", "watch", "closure_recommended", "closed")
HISTORY_S = 3600
"""How much trend the board shows: the hour before a structure's newest reading (measured
time, not the wall clock, so a simulated night keeps its own hour)."""
HISTORY_MAX = 720
"""At most this many readings kept per structure (one every 5 s per sensor for an hour
across a few sensors; the trend needs no more)."""
PUBLIC_FIELDS = ("structure_id", "name", "kind", "gu", "location")


def _ms(at: str) -> int:
    return int(datetime.fromisoformat(at).timestamp() * 1000)


def reading_entries(record: dict[str, Any]) -> list[tuple[int, bytes]]:
    """The record's readings as time-series entries ``(measured ms, compact JSON)``.

    >>> [(at, orjson.loads(entry)["value"]) for at, entry in reading_entries({"readings": [{
    ...     "sensor_id": "W-1", "kind": "water_level", "value": 0.32, "unit": "m",
    ...     "measured_at": "2026-07-15T04:00:00+00:00"}]})]
    [(1784088000000, 0.32)]
    """
    out = []
    for r in record.get("readings") or []:
        if r.get("value") is None or not r.get("measured_at"):
            continue
        at_ms = _ms(str(r["measured_at"]))
        entry = {"sensor_id": r.get("sensor_id"), "kind": r.get("kind"), "value": r["value"]}
        out.append((at_ms, orjson.dumps({**entry, "at_ms": at_ms})))
    return out


def public_closure(record: dict[str, Any]) -> dict[str, Any]:
    """What anyone may see of a closed structure: name, kind, gu, where, since when (never
    who closed it or their reason's words)."""
    view = {k: record.get(k) for k in PUBLIC_FIELDS}
    return {**view, "state": "closed", "since": record.get("updated_at")}


def closure_removal(record: dict[str, Any]) -> dict[str, Any]:
    """What tells a public page that a structure it shows closed is closed no more."""
    return {"structure_id": record.get("structure_id"), "state": record.get("state")}


def store_closure(batch: WriteBatch, record: dict[str, Any]) -> int:
    """Queue the read-model writes of one ``road-closures`` record; where the result that
    says whether it was stored will be (raises KeyError/ValueError on a malformed record)."""
    sid = str(record["structure_id"])
    state = record["state"]
    if state not in STATES:
        raise ValueError(f"unknown structure state {state!r}")
    version = int(record["version"])
    entries = reading_entries(record)
    if entries:
        newest = max(at for at, _ in entries)
        batch.keep_series(READINGS, sid, entries, newest - HISTORY_S * 1000, HISTORY_MAX)
    # the public view keeps the time it was first shown closed (later records of a closed
    # structure only bring new readings)
    shown = orjson.dumps(public_closure(record)) if state == "closed" else None
    batch.upsert_keeping(PUBLIC_CLOSURES, sid, version, shown, keep_stored=True)
    return batch.upsert(STRUCTURES, sid, version, state != "open", orjson.dumps(record))
