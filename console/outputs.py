"""Applies each output-topic message to the read model and fans the news out to sockets."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import orjson

from console.hub import Hub
from console.metrics import ConsoleMetrics
from console.projector import frame
from console.public_alerts import (
    ACTIVE_ALERT_STATUSES,
    alert_version,
    is_public_alert,
    public_alert_view,
)
from console.readmodel import ReadModel
from streams.contract import ContractError, UnitStatus, decode, encode

__all__ = ["PROJECTED_TOPICS", "UNITS", "OutputProjection"]

log = logging.getLogger("goldentime.console")

PROJECTED_TOPICS = ("incidents", "assignments", "overlays", "alerts", "deadletter", "unit-status")
UNITS = "unitstate"
"""Read-model kind of the console's own projection of ``unit-status`` (latest per unit)."""
FRAME_KIND = {
    "incidents": "incident",
    "assignments": "assignment",
    "overlays": "overlay",
    "alerts": "alert",
    "deadletter": "deadletter",
    "unit-status": "unit",
}


def assignment_key(assignment: dict[str, Any]) -> str:
    """Read-model key of an assignment: one per (incident, unit)."""
    return f"{assignment['incident_id']}|{assignment['unit_id']}"


def timestamp_version(at: str) -> int:
    """A monotonic version from an RFC 3339 time (milliseconds since the epoch)."""
    return int(datetime.fromisoformat(at).timestamp() * 1000)


class OutputProjection:
    """The projector's handler: read model first, then live frames to the hub."""

    def __init__(self, readmodel: ReadModel, hub: Hub, metrics: ConsoleMetrics) -> None:
        self.readmodel = readmodel
        self.hub = hub
        self.metrics = metrics

    async def __call__(self, base: str, value: bytes, live: bool) -> None:
        """Handle one message of topic ``base`` (live False while replaying history)."""
        data = self._parse(base, value)
        if data is None:
            return
        try:
            stored = await self._store(base, data, value)
        except (KeyError, TypeError, ValueError) as exc:
            log.error("malformed %s message ignored: %r", base, exc)
            return
        self.metrics.projected.labels(base).inc()
        if live and stored:
            kind = FRAME_KIND[base]
            self.hub.publish(kind, data, frame(kind, data))
            if base == "alerts" and is_public_alert(data):
                view = public_alert_view(data)
                self.hub.publish("public-alert", view, frame("alert", view))

    def _parse(self, base: str, value: bytes) -> dict[str, Any] | None:
        if base == "unit-status":
            try:  # an input topic: only contract-valid reports reach the map
                status = decode(UnitStatus, value)
            except ContractError:
                return None
            parsed: dict[str, Any] = orjson.loads(encode(status))
            return parsed
        try:
            data = orjson.loads(value)
        except orjson.JSONDecodeError:
            log.error("non-JSON message on output topic %s ignored", base)
            return None
        return data if isinstance(data, dict) else None

    async def _store(self, base: str, data: dict[str, Any], raw: bytes) -> bool:
        rm = self.readmodel
        if base == "incidents":
            return await rm.put_incident(data, raw)
        if base == "alerts":
            active = data["status"] in ACTIVE_ALERT_STATUSES
            return await rm.upsert("alerts", data["id"], alert_version(data), active, raw)
        if base == "overlays":
            return await rm.upsert("overlays", data["incident_id"], 1, True, raw)
        if base == "assignments":
            active = data["status"] != "cancelled"
            await rm.track_unit_assignment(data["unit_id"], data["incident_id"], data["status"])
            return await rm.upsert("assignments", assignment_key(data), 1, active, raw)
        if base == "unit-status":
            version = timestamp_version(data["at"])
            if data.get("status") in ("available", "out_of_service"):
                await rm.release_unit(data["unit_id"])
            return await rm.upsert(UNITS, data["unit_id"], version, True, orjson.dumps(data))
        self.metrics.deadletters.inc()
        return True
