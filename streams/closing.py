"""Road closures: each structure's readings against its thresholds, a person's closures and
reopenings, and the ``road-closures`` records that say so.

The readings of a structure's sensors (``geo.structures``) advise ``watch`` or
``closure_recommended`` (``dispatch.closure_rules``, each threshold cited); only a command
closes a structure (``confirm_closure`` of a recommendation, or ``close_structure`` by hand
with a reason) and only a command reopens it. A closed structure stays closed whatever its
readings say, and they keep being published with it.

Pure over its store (the dispatch stage's ``closures`` table, keyed by structure id, holding
each structure's latest record; a dict in tests): the closures survive a restart with the
table. Idempotent: a command is applied once (the dispatch stage's ``commands-seen``), and
a reading whose event id or an older measurement time the structure already holds changes
nothing.
"""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dispatch.closure_rules import ADVISED, ClosureRules, Threshold
from geo import City
from geo.structures import (
    SENSOR_KINDS,
    Structure,
    attached_structure,
    structure_by_id,
    underpasses_near,
)
from geo.structures import structure_edges as edges_of
from streams.contract import (
    ClosureReading,
    ClosureState,
    Command,
    CommandAction,
    ContractError,
    Position,
    RoadClosure,
    StructureKind,
    encode,
)
from streams.zone import Effect

__all__ = ["READING_KINDS", "ClosureChange", "ClosureKeeper", "reading_item"]

log = logging.getLogger("goldentime.closures")

READING_KINDS = frozenset(SENSOR_KINDS)
"""Sensor kinds whose readings are about structures (the zone hands them to the keeper)."""
MAX_READINGS = 20
RIVER_LEVEL = "river_level"
"""The kind a water-level reading takes when it is a river gauge near underpasses."""
LABEL = {
    "water_level": "수위",
    "tunnel_co": "일산화탄소",
    "smoke_detector": "연기 감지",
    "wind": "풍속",
    "bridge_strain": "변형률",
    RIVER_LEVEL: "하천 수위",
}
LEVEL_WORDS = ("기준 미만", "관찰 기준", "통제 권고 기준")


def reading_item(
    event_id: str,
    sensor_id: str,
    kind: str,
    value: float,
    unit: str,
    measured_at: datetime,
    lon: float,
    lat: float,
    threshold: float | None = None,
) -> dict[str, Any]:
    """The item a sensor reading becomes for the keeper (sent by the zone); ``threshold``
    is the alarm level the sensor reported with it."""
    return {
        "reading": {
            "id": event_id,
            "sensor_id": sensor_id,
            "kind": kind,
            "value": value,
            "unit": unit,
            "measured_at": measured_at.isoformat(),
            "lon": lon,
            "lat": lat,
            "threshold": threshold,
        }
    }


@dataclass(frozen=True, slots=True)
class ClosureChange:
    """What one input did: the records to publish, and the structure whose links were
    closed (``closed``) or reopened (``reopened``) by it, if any."""

    effects: list[Effect]
    closed: Structure | None = None
    reopened: Structure | None = None


class ClosureKeeper:
    """Keeps every structure's closure state in a store and says what changed."""

    def __init__(self, city: City, rules: ClosureRules, store: MutableMapping[str, Any]) -> None:
        self._city, self._rules, self._store = city, rules, store
        self._closed: dict[str, NDArray[np.int64]] = {}
        for sid, value in list(store.items()):
            structure = structure_by_id(city, sid)
            if structure is not None and value.get("state") == ClosureState.CLOSED.value:
                self._closed[sid] = edges_of(city, structure)

    # -- what routing avoids --------------------------------------------------------------
    def closed_edges(self) -> NDArray[np.int64]:
        """The road edges of every closed structure."""
        if not self._closed:
            return np.zeros(0, np.int64)
        return np.unique(np.concatenate(list(self._closed.values())))

    def closed_ids(self) -> list[str]:
        """The ids of the closed structures, sorted."""
        return sorted(self._closed)

    def state(self, structure_id: str) -> dict[str, Any] | None:
        """The latest record of a structure (None while nothing was ever published)."""
        value = self._store.get(structure_id)
        return dict(value) if value is not None else None

    # -- readings ---------------------------------------------------------------------------
    def on_reading(self, raw: dict[str, Any], now: datetime) -> ClosureChange:
        """Apply one sensor reading: the record of the structure it is about (or, for a
        river gauge, of each underpass near it), with its advised state."""
        try:
            reading = ClosureReading(
                sensor_id=raw["sensor_id"],
                kind=raw["kind"],
                value=float(raw["value"]),
                unit=raw["unit"],
                measured_at=datetime.fromisoformat(raw["measured_at"]),
                event_id=raw["id"],
            )
            lon, lat = float(raw["lon"]), float(raw["lat"])
            alarm = None if raw.get("threshold") is None else float(raw["threshold"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ContractError(f"unreadable structure reading: {exc}", raw.get("id")) from exc
        structure = attached_structure(self._city, reading.sensor_id, reading.kind, lon, lat)
        if structure is not None:
            effect = self._judge(structure, reading, alarm, now)
            return ClosureChange([effect] if effect is not None else [])
        if reading.kind != "water_level":
            return ClosureChange([])  # a reading of no structure: the zone fuses it as usual
        river = reading.model_copy(update={"kind": RIVER_LEVEL})  # a gauge on a stream
        near = underpasses_near(self._city, lon, lat)
        effects = [self._judge(s, river, alarm, now) for s in near]
        return ClosureChange([e for e in effects if e is not None])

    def _judge(
        self, structure: Structure, reading: ClosureReading, alarm: float | None, now: datetime
    ) -> Effect | None:
        """A structure's record with one more reading, None when the reading changes nothing
        (no rule for it, a replay, or older than what the structure holds)."""
        rule = self._rules.threshold(structure.kind, reading.kind)
        threshold = rule.for_alarm(alarm) if rule is not None else None
        if threshold is None:
            return None
        reading = reading.model_copy(
            update={"watch_at": threshold.watch_at, "close_at": threshold.close_at}
        )
        old = self._store.get(structure.id)
        readings = [ClosureReading.model_validate(r) for r in (old or {}).get("readings", [])]
        held = next((r for r in readings if r.sensor_id == reading.sensor_id), None)
        if held is not None and (
            held.event_id == reading.event_id or held.measured_at >= reading.measured_at
        ):
            return None
        readings = [r for r in readings if r.sensor_id != reading.sensor_id] + [reading]
        readings = sorted(readings, key=lambda r: r.measured_at)[-MAX_READINGS:]
        level, worst = _level(readings)
        current = ClosureState((old or {}).get("state", ClosureState.OPEN.value))
        state: ClosureState = current
        reason = (old or {}).get("reason")
        if current is not ClosureState.CLOSED:
            state, reason = ClosureState(ADVISED[level]), _reason(worst, level)
        return self._record(structure, old, state, reason, readings, None, now)

    # -- commands -------------------------------------------------------------------------
    def on_command(self, command: Command, now: datetime) -> ClosureChange:
        """Apply a person's closure or reopening; :class:`ContractError` (dead-lettered with
        the command id) when it cannot apply: unknown structure, nothing to confirm, already
        closed, not closed."""
        sid = command.structure_id or ""
        structure = structure_by_id(self._city, sid)
        if structure is None:
            raise ContractError(f"refused: no structure {sid!r} in this city", command.id)
        old = self._store.get(sid)
        current = ClosureState((old or {}).get("state", ClosureState.OPEN.value))
        readings = [ClosureReading.model_validate(r) for r in (old or {}).get("readings", [])]
        action = command.action
        if action is CommandAction.REOPEN_STRUCTURE:
            if current is not ClosureState.CLOSED:
                raise ContractError(f"refused: {sid} is {current.value}, not closed", command.id)
            level, _ = _level(readings)
            state = ClosureState(ADVISED[level])
            reason = f"통제 해제: {command.reason}"
            record = self._record(structure, old, state, reason, readings, command, now)
            self._closed.pop(sid, None)
            return ClosureChange([record], reopened=structure)
        if current is ClosureState.CLOSED:
            raise ContractError(f"refused: {sid} is already closed", command.id)
        if action is CommandAction.CONFIRM_CLOSURE:
            if current is not ClosureState.CLOSURE_RECOMMENDED:
                raise ContractError(
                    f"refused: nothing recommends closing {sid} (it is {current.value}); "
                    "close it by hand with a reason",
                    command.id,
                )
            reason = f"통제 확인: {(old or {}).get('reason') or ''}".strip()
        elif action is CommandAction.CLOSE_STRUCTURE:
            reason = f"수동 통제: {command.reason}"
        else:
            raise ContractError(f"refused: {action.value} is not a closure command", command.id)
        record = self._record(structure, old, ClosureState.CLOSED, reason, readings, command, now)
        self._closed[sid] = edges_of(self._city, structure)
        return ClosureChange([record], closed=structure)

    # -- records --------------------------------------------------------------------------
    def _record(
        self,
        structure: Structure,
        old: dict[str, Any] | None,
        state: ClosureState,
        reason: str | None,
        readings: list[ClosureReading],
        command: Command | None,
        now: datetime,
    ) -> Effect:
        before = ClosureState(old["state"]) if old else None
        changed = before is not state
        previous = before if changed else (old or {}).get("previous_state")
        record = RoadClosure(
            structure_id=structure.id,
            name=structure.name,
            kind=StructureKind(structure.kind),
            state=state,
            previous_state=previous,
            version=int((old or {}).get("version", 0)) + 1,
            updated_at=now,
            link_ids=list(structure.link_ids),
            gu=structure.gu,
            location=Position(lon=structure.lon, lat=structure.lat),
            reason=(reason or None) and reason[:300],
            readings=readings,
            command_id=command.id if command is not None else None,
            by=command.by if command is not None else None,
        )
        if changed:
            log.info("structure %s: %s -> %s", structure.id, before, state.value)
        self._store[structure.id] = record.model_dump(mode="json")
        return Effect("road-closures", structure.id, encode(record))


def _level(readings: list[ClosureReading]) -> tuple[int, ClosureReading | None]:
    """The highest level among a structure's latest readings (each judged on the thresholds
    it carries), and the reading that gives it."""
    best, worst = 0, None
    for r in readings:
        level = Threshold(r.unit, r.watch_at, r.close_at).level(r.value)
        if worst is None or level > best:
            best, worst = level, r
    return best, worst


def _reason(reading: ClosureReading | None, level: int) -> str | None:
    """Why readings advise a state, in the operator's words, e.g. "수위 0.32 m ≥ 0.15 m
    (통제 권고 기준)"."""
    if reading is None:
        return None
    label = LABEL.get(reading.kind, reading.kind)
    value = f"{label} {reading.value:g} {reading.unit}"
    at = {1: reading.watch_at, 2: reading.close_at}.get(level)
    if at is None:
        limit = reading.watch_at if reading.watch_at is not None else reading.close_at
        return f"{value} < {limit:g} {reading.unit} ({LEVEL_WORDS[0]})"
    return f"{value} ≥ {at:g} {reading.unit} ({LEVEL_WORDS[level]})"
