"""Applies each output-topic message to the read model and fans the news out to sockets."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import orjson

from console.closures import (
    ROAD_CLOSURES,
    closure_removal,
    public_closure,
    store_closure,
)
from console.diversions import TRAIL, TRAIL_KEPT, TRAIL_KEPT_S, diversion, trail_entry
from console.hub import Hub
from console.metrics import ConsoleMetrics
from console.projector import Message, frame
from console.public_alerts import (
    ACTIVE_ALERT_STATUSES,
    PUBLIC_ALERTS,
    alert_version,
    is_public_alert,
    public_action_of,
    public_alert_view,
    public_removal,
)
from console.readmodel import ReadModel, WriteBatch
from streams.contract import (
    FEED_MODELS,
    INPUT_MODELS,
    OUTPUT_MODELS,
    ContractError,
    decode,
    encode,
)

__all__ = [
    "DESTINATIONS",
    "ER_STATUS",
    "MCI_PLANS",
    "PROJECTED_TOPICS",
    "PUBLIC_ALERTS",
    "UNITS",
    "OutputProjection",
]

log = logging.getLogger("goldentime.console")

PROJECTED_TOPICS = (
    "incidents",
    "assignments",
    "overlays",
    "alerts",
    "deadletter",
    "unit-status",
    ROAD_CLOSURES,
    "er-status",
    "destinations",
    "mci-plans",
)
CHECKED_OUTPUTS = frozenset({"destinations", "mci-plans"})
"""Output topics read through their contract model: what reaches a crew's phone or the
distribution panel is whole, or it is left out (and logged)."""
UNITS = "unitstate"
"""Read-model kind of the console's own projection of ``unit-status`` (latest per unit)."""
ER_STATUS = "erstatus"
"""Read-model kind: the latest ``er-status`` of each emergency room, by hospital id."""
DESTINATIONS = "destinations"
"""Read-model kind: each unit's latest ``destinations`` record, by unit id (a unit carries
its patients to one emergency room at a time)."""
MCI_PLANS = "mciplans"
"""Read-model kind: the latest mass-casualty distribution plan of each incident (active
while the incident is, so snapshots carry only the plans in force)."""
FRAME_KIND = {
    "incidents": "incident",
    "assignments": "assignment",
    "overlays": "overlay",
    "alerts": "alert",
    "deadletter": "deadletter",
    "unit-status": "unit",
    ROAD_CLOSURES: "structure",
    "er-status": "er-status",
    "destinations": "destination",
    "mci-plans": "mci-plan",
}


def assignment_key(assignment: dict[str, Any]) -> str:
    """Read-model key of an assignment: one per (incident, unit)."""
    return f"{assignment['incident_id']}|{assignment['unit_id']}"


def entity_key(base: str, data: dict[str, Any]) -> str | None:
    """What a message of topic ``base`` is the latest state of (None: every message counts,
    as dead letters do)."""
    if base in ("incidents", "alerts"):
        return str(data["id"])
    if base == "assignments":
        return assignment_key(data)
    if base == "overlays":
        return str(data["incident_id"])
    if base in ("unit-status", "destinations"):
        return str(data["unit_id"])
    if base == ROAD_CLOSURES:
        return str(data["structure_id"])
    if base == "er-status":
        return str(data["hospital_id"])
    if base == "mci-plans":
        return str(data["incident_id"])
    return None


def timestamp_version(at: str) -> int:
    """A monotonic version from an RFC 3339 time (milliseconds since the epoch)."""
    return int(datetime.fromisoformat(at).timestamp() * 1000)


class OutputProjection:
    """The projector's handler: read model first, then live frames to the hub."""

    def __init__(self, readmodel: ReadModel, hub: Hub, metrics: ConsoleMetrics) -> None:
        self.readmodel = readmodel
        self.hub = hub
        self.metrics = metrics

    async def __call__(self, messages: list[Message]) -> None:
        """Handle messages of one partition in order (live False while replaying history):
        their read-model writes go to Redis in one round trip, then the news to the hub."""
        batch = self.readmodel.batch()
        planned: list[tuple[str, dict[str, Any], bool, int | None, int | None]] = []
        for base, value, live in messages:
            data = self._parse(base, value)
            if data is None:
                continue
            try:
                result = self._store(batch, base, data, value)
            except (KeyError, TypeError, ValueError) as exc:
                log.error("malformed %s message ignored: %r", base, exc)
                continue
            # only news is told, so only news needs its unit's trail (was it diverted?)
            told = live and base == DESTINATIONS
            trail = batch.read_series(TRAIL, str(data["unit_id"])) if told else None
            planned.append((base, data, live, result, trail))
        results = await batch.execute()
        for base, data, live, result, trail in planned:
            self.metrics.projected.labels(base).inc()
            stored = result is None or bool(results[result])
            if live and stored:
                if trail is not None:  # the unit's trail up to this record: was it diverted?
                    records = [orjson.loads(m) for m in results[trail]]
                    data = {**data, "diversion": diversion(records, data)}
                self._tell(base, data)

    def _tell(self, base: str, data: dict[str, Any]) -> None:
        kind = FRAME_KIND[base]
        key = entity_key(base, data)
        self.hub.publish(kind, data, frame(kind, data), key)
        if base == ROAD_CLOSURES:
            self._tell_public_closure(data, key)
        if base != "alerts":
            return
        if is_public_alert(data):
            view = public_alert_view(data)
            self.hub.publish("public-alert", view, frame("alert", view), key)
        elif public_action_of(data) != "none":
            # withdrawn before it went out (or not for the public): a page showing it drops it
            gone = public_removal(data)
            self.hub.publish("public-alert", gone, frame("alert", gone), key)

    def _tell_public_closure(self, record: dict[str, Any], key: str | None) -> None:
        """Public pages hear of a structure when it is closed and when it is closed no more
        (the page keeps the time it first showed it closed)."""
        if record["state"] == "closed":
            view = public_closure(record)
        elif record.get("previous_state") == "closed":
            view = closure_removal(record)
        else:
            return
        self.hub.publish("public-closure", view, frame("closure", view), key)

    def _parse(self, base: str, value: bytes) -> dict[str, Any] | None:
        model = INPUT_MODELS.get(base) or FEED_MODELS.get(base)
        if model is not None:
            try:  # an input topic (unit and ER status): only contract-valid reports are shown
                report = decode(model, value)
            except ContractError:
                return None
            parsed: dict[str, Any] = orjson.loads(encode(report))
            return parsed
        if base in CHECKED_OUTPUTS:
            try:
                record = decode(OUTPUT_MODELS[base], value)
            except ContractError as exc:
                log.error("invalid %s record ignored: %s", base, exc.reason)
                return None
            checked: dict[str, Any] = orjson.loads(encode(record))
            return checked
        try:
            data = orjson.loads(value)
        except orjson.JSONDecodeError:
            log.error("non-JSON message on output topic %s ignored", base)
            return None
        return data if isinstance(data, dict) else None

    def _store(self, batch: WriteBatch, base: str, data: dict[str, Any], raw: bytes) -> int | None:
        """Queue the read-model writes of one message; where the result that says whether it
        was stored will be (None: always stored)."""
        if base == "incidents":
            stored = batch.put_incident(data, raw)
            batch.follow(MCI_PLANS, str(data["id"]), "incidents")  # a plan ends with its incident
            return stored
        if base == "alerts":
            active = data["status"] in ACTIVE_ALERT_STATUSES
            version = alert_version(data)
            shown = is_public_alert(data)
            public = public_alert_view(data) if shown else public_removal(data)
            batch.upsert(PUBLIC_ALERTS, data["id"], version, shown, orjson.dumps(public))
            if data.get("silenced_by"):
                batch.note_silenced(str(data["silenced_by"]), str(data["id"]))
            return batch.upsert("alerts", data["id"], version, active, raw)
        if base == "overlays":
            return batch.upsert("overlays", data["incident_id"], 1, True, raw)
        if base == "assignments":
            active = data["status"] != "cancelled"
            key = assignment_key(data)
            batch.track_unit_assignment(data["unit_id"], data["incident_id"], data["status"])
            return batch.upsert("assignments", key, 1, active, raw)
        if base == ROAD_CLOSURES:
            return store_closure(batch, data)
        if base == "unit-status":
            version = timestamp_version(data["at"])
            batch.mark_status_since(UNITS, data["unit_id"], str(data["status"]), version)
            if data.get("status") in ("available", "out_of_service"):
                batch.release_unit(data["unit_id"])
            return batch.upsert(UNITS, data["unit_id"], version, True, orjson.dumps(data))
        if base == "er-status":  # stored as the contract reads them (see _parse)
            version = timestamp_version(data["at"])
            return batch.upsert(ER_STATUS, data["hospital_id"], version, True, orjson.dumps(data))
        if base == "destinations":
            version = timestamp_version(data["issued_at"])
            keep_from = version - int(TRAIL_KEPT_S * 1000)
            entry = [trail_entry(data)]
            batch.keep_series(TRAIL, str(data["unit_id"]), entry, keep_from, TRAIL_KEPT)
            return batch.upsert(DESTINATIONS, data["unit_id"], version, True, orjson.dumps(data))
        if base == "mci-plans":
            version = int(data["version"])
            key = str(data["incident_id"])
            stored = batch.upsert(MCI_PLANS, key, version, True, orjson.dumps(data))
            batch.follow(MCI_PLANS, key, "incidents")  # its incident may have ended already
            return stored
        self.metrics.deadletters.inc()
        return None
