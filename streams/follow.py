"""The follow-up stage: safety-map overlays and public alert drafts, off the fusion zone.

The zone is one ordered sequence per city, on one core: whatever it does per incident
delays every incident after it. Overlays (hydrants, cameras, hazard footprint) and alert
drafting (hazard zone, alert polygon, districts, de-duplication) took about half of its time
and neither feeds back into fusion or dispatch. So the zone hands each incident state it
publishes, and each alert command, to the ``gt-follow`` topic (one record per zone record,
keyed by the zone, so in the zone's order), and this stage (its own Faust app, consumer
group and tables, run by the worker as a child process: ``python -m stack.cli follow``)
produces the overlays and alerts. Incidents and recommendations reach the console without
waiting for them; a second core does the geometry.

A city's alerts are still drafted in one place, in order: de-duplication compares a draft
with every live alert of its hazard, and approvals come after the drafts they approve.
Nothing here is lost or doubled on a restart: the record is acknowledged once its effects
and table changes are handed to the producer, and the ``overlays-done``, ``drafted`` and
``commands-seen`` tables make a replayed record change nothing. The ``alert-silences`` table
holds the supervisors' silences until they end.
"""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from datetime import datetime
from typing import Any

import faust
import orjson

from geo import City
from stack.settings import Settings
from streams import records
from streams.alerting import AlertFollower
from streams.contract import Command, CommandAction, ContractError, Incident, UnitStatus
from streams.fusion import IncidentState
from streams.overlaying import OverlayFollower
from streams.stage import (
    Event,
    Outbox,
    faust_app,
    faust_send,
    now_utc,
    origin_of,
    record_agent,
    stage_table,
)
from streams.topics import Topics
from streams.transport.changelog import Changelog
from streams.zone import Effect

log = logging.getLogger("goldentime.follow")

ALERT_ACTIONS = frozenset(
    {
        CommandAction.APPROVE_ALERT,
        CommandAction.CANCEL_ALERT,
        CommandAction.ALL_CLEAR_ALERT,
        CommandAction.SILENCE_ALERTS,
        CommandAction.LIFT_SILENCE,
    }
)


class Relay:
    """The zone's follower that hands the follow-up stage what it needs besides incident
    states (which go along from the zone's own ``incidents`` effects): alert commands
    the zone applied (each once: the zone drops replays of a command id) and incidents
    the zone forgot."""

    def __init__(self) -> None:
        self._forgotten: list[str] = []

    def on_incident(
        self, state: IncidentState, previous: Incident | None, now: datetime
    ) -> list[Effect]:
        """Incident states go along from the zone's ``incidents`` effects."""
        return []

    def on_unit_status(self, status: UnitStatus, now: datetime) -> list[Effect]:
        """Unit reports change neither overlays nor alerts."""
        return []

    def on_command(
        self, command: Command, incident: Incident | None, now: datetime
    ) -> list[Effect]:
        """An alert command, for the stage that keeps the alerts."""
        if command.action not in ALERT_ACTIONS:
            return []
        return [Effect("follow", command.id, orjson.dumps(command.model_dump(mode="json")))]

    def forget(self, incident_id: str) -> None:
        """Remember that the zone forgot an incident (see :meth:`take_forgotten`)."""
        self._forgotten.append(incident_id)

    def take_forgotten(self) -> list[str]:
        """Incidents forgotten since the last call."""
        out, self._forgotten = self._forgotten, []
        return out


def follow_items(
    effects: list[Effect], forgotten: list[str], origin: dict[str, Any] | None
) -> list[bytes]:
    """The follow-up stage's items for a zone record's effects, in order: incident states,
    alert commands (with the ``origin`` of the command, for a dead letter) and forgotten
    incidents."""
    items: list[bytes] = []
    where = orjson.dumps(origin) if origin is not None else b"null"
    for effect in effects:
        if effect.topic == "incidents":
            items.append(b'{"incident":' + effect.value + b"}")
        elif effect.topic == "follow":
            items.append(b'{"command":' + effect.value + b',"origin":' + where + b"}")
    items += [orjson.dumps({"forget": incident_id}) for incident_id in forgotten]
    return items


class FollowUp:
    """The follow-up stage's work, pure over its stores (Faust tables in the worker, dicts
    in tests): overlays and alerts from the zone's items."""

    def __init__(
        self,
        city: City,
        overlays_done: MutableMapping[str, Any],
        alerts: MutableMapping[str, Any],
        drafted: MutableMapping[str, Any],
        commands_seen: MutableMapping[str, Any],
        silences: MutableMapping[str, Any] | None = None,
    ) -> None:
        self._overlay = OverlayFollower(city, overlays_done)
        self._alert = AlertFollower(city, alerts, drafted, silences)
        self._commands_seen = commands_seen

    def apply(self, item: dict[str, Any], now: datetime) -> list[Effect]:
        """The effects of one item (an incident state, an alert command or a forgotten
        incident); :class:`ContractError` for a command the alerts refuse."""
        if "incident" in item:
            raw = item["incident"]
            # most states change nothing here (more evidence, a new status): skip the model
            if not (
                self._overlay.wants(raw["id"], raw["status"], raw["type"]) or self._alert.wants(raw)
            ):
                return []
            state = IncidentState(Incident.model_validate(raw), {})
            return self._overlay.on_incident(state, None, now) + self._alert.on_incident(
                state, None, now
            )
        if "closure" in item:  # a structure closed or reopened (from the dispatch stage)
            return self._alert.on_closure(item["closure"], now)
        if "command" in item:
            command = Command.model_validate(item["command"])
            key = f"cmd:{command.id}"
            if self._commands_seen.get(key) is not None:
                return []  # a replay of a command already applied
            self._commands_seen[key] = command.action.value
            return self._alert.on_command(command, None, now)
        self._overlay.forget(item["forget"])
        self._alert.forget(item["forget"])
        return []


class FollowWorker:
    """The follow-up stage of one process: its Faust app, the tables, and the
    :class:`FollowUp` made from them (rebuilt from the recovered tables at the first record
    after every rebalance)."""

    def __init__(self, settings: Settings, city: City) -> None:
        self.city = city
        self.topics = Topics(settings.topic_prefix)
        self.app = faust_app(settings, f"goldentime-{settings.topic_prefix or 'main'}-follow")
        self.outbox = Outbox(faust_send(self.app), self.topics)
        changelog = Changelog()
        self._tables = [
            stage_table(self.app, changelog, settings, name)
            for name in ("overlays-done", "alerts", "drafted", "commands-seen", "alert-silences")
        ]
        self._stage: FollowUp | None = None
        self.app.on_partitions_assigned.connect(self._on_assigned)  # type: ignore[arg-type]
        record_agent(self.app, [self.topics.follow], "follow", self.outbox, changelog, self._work)

    async def _on_assigned(self, sender: Any, *args: Any, **kwargs: Any) -> None:
        self._stage = None  # rebuilt from the recovered tables at the next record

    @property
    def stage(self) -> FollowUp:
        """The follow-up work over the tables as recovered."""
        if self._stage is None:
            self._stage = FollowUp(self.city, *self._tables)
        return self._stage

    async def _refuse(self, item: dict[str, Any], error: str, event: Event) -> None:
        origin = item.get("origin") or origin_of(event)
        payload = item.get("command") or item.get("incident") or item.get("closure") or item
        event_id = payload.get("id") if isinstance(payload, dict) else None
        await self.outbox.dead_letter(origin, orjson.dumps(payload), error, event_id, "follow")

    async def _work(self, event: Event) -> None:
        now = now_utc()
        effects: list[Effect] = []
        for item in records.parse(event.value):
            try:
                effects += self.stage.apply(item, now)
            except ContractError as exc:
                await self._refuse(item, exc.reason, event)
            except Exception as exc:
                log.exception("follow-up failed on an item")
                await self._refuse(item, f"internal error in follow-up: {exc!r}", event)
        await self.outbox.emit(effects)


def create_follow_app(settings: Settings, city: City) -> faust.App:
    """The follow-up stage's Faust app: overlays and alerts from the ``gt-follow`` topic."""
    return FollowWorker(settings, city).app
