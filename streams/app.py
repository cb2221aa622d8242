"""The fusion worker: evidence, unit reports and dispatcher commands in order, into incidents.

Four stages, each its own consumer group, scaling on its topics' partitions. Intake
(``streams.intake_stage``, a child process) validates every input and forwards evidence and
unit reports to the zone topic. The zone agent here (Faust, with the tables) applies them,
and dispatcher commands, in order (see ``streams.zones``), publishes incidents, and hands
each incident state, unit report and dispatch command to the dispatch stage
(``streams.dispatch_stage``: fleet, recommendations, assignments; its lifecycle feedback
comes back here as ``advance`` items) and each incident state and alert command to the
follow-up stage (``streams.follow``: overlays and alerts). Nothing may escape any stage:
bad input is dead-lettered, sends are retried until they succeed (a stalled partition is
visible; a dropped event is not)."""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import Any

import faust
import httpx
import orjson
import redis.asyncio as aioredis

from alerts import WebhookChannel
from geo import City
from stack.settings import Settings
from streams import records
from streams.contract import Command, ContractError, UnitStatus, UnitStatusValue, decode, encode
from streams.deadletter import dead_letter
from streams.delivery import deliver
from streams.dispatch_stage import DispatchRelay, dispatch_items, structure_readings
from streams.evidence import Evidence
from streams.follow import Relay, follow_items
from streams.merging import Merger
from streams.stage import (
    RAW,
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
from streams.zone import MERGE_KEY, TO_MERGE, TO_ZONE, Effect, Zone
from streams.zones import CITY_ZONE, OwnedStore, ZoneMap, owner_of

log = logging.getLogger("goldentime.worker")

TICK_S = 15.0
HANDED_OVER = frozenset({"dispatch", "follow", TO_ZONE, TO_MERGE})
"""Effects for the dispatch and follow-up stages, other zones and the merge stage: sent on
their own topics as items."""
INTAKE_BEAT_MAX_AGE_S = 6.0


class FusionWorker:
    """The zone stage of one worker process: its Faust app, the tables and the zone made
    from them, what it sends (``outbox``), its heartbeat and its tick.

    Each zone (``streams.zones``: the city, or one of ``GT_ZONES``) whose records this
    worker reads is rebuilt from the recovered tables at its first record after every
    rebalance, and then publishes again the latest state of every active incident (see
    :meth:`streams.zone.Zone.republish`). With more than one zone the worker also runs the
    merge stage (``streams.merging``) when it holds the merge topic's partition."""

    def __init__(self, settings: Settings, city: City, *, intake_reported: bool = True) -> None:
        self.settings = settings
        self.city = city
        self.intake_reported = intake_reported
        self.topics = Topics(settings.topic_prefix)
        self.app = faust_app(settings, f"goldentime-{settings.topic_prefix or 'main'}")
        self.outbox = Outbox(faust_send(self.app), self.topics)
        self.changelog = Changelog()  # the tables' changelog records, sent by the zone agent
        # "seen" (the changelog keeps its name) holds dispatcher command ids: evidence
        # already counted is known from the incidents themselves. Units, assignments and
        # plans are the dispatch stage's (streams.dispatch_stage); overlays and alerts the
        # follow-up stage's (streams.follow).
        self.command_ids, self.incidents = self._table("seen"), self._table("incidents")
        self._ref_lat = (city.bbox[1] + city.bbox[3]) / 2
        self.zones = ZoneMap.parse(settings.zones, city.bbox)
        self._zones: dict[str, Zone] = {}
        self._republish: set[str] = set()
        self._dispatch_relay = DispatchRelay()
        self._follow_relay = Relay()
        self._cache: aioredis.Redis | None = None
        self._zone_topic = self.app.topic(self.topics.evidence, **RAW)
        inputs = [self.topics.evidence, self.topics.commands]
        record_agent(self.app, inputs, "zone", self.outbox, self.changelog, self._apply)
        self._merger: Merger | None = None
        if self.zones.count > 1:
            self.border = self._table("border")
            merge_in = [self.topics.merge]
            record_agent(self.app, merge_in, "merge", self.outbox, self.changelog, self._merge)
        self.app.timer(2.0, name="heartbeat")(self._heartbeat)
        self.app.timer(TICK_S, name="zone-tick")(self._tick)
        self.app.on_partitions_assigned.connect(self._on_assigned)  # type: ignore[arg-type]
        if settings.alert_webhook_url:
            alerts = self.app.topic(self.topics.alerts, **RAW)
            self.app.agent(alerts, name="alert-delivery")(self._deliver_alerts)

    def _table(self, name: str) -> Any:
        return stage_table(self.app, self.changelog, self.settings, name)

    def _district_of(self, lon: float, lat: float) -> str | None:
        district = self.city.district_at(lon, lat)
        return district.name if district else None

    def zone(self, name: str = CITY_ZONE) -> Zone:
        """A zone over the tables as recovered (built at its first record after a
        rebalance); :class:`ContractError` for a zone this deployment does not have."""
        zone = self._zones.get(name)
        if zone is None:
            if name not in self.zones.names:
                raise ContractError(
                    f"a record for zone {name!r}, which is not among this deployment's "
                    f"zones (GT_ZONES={self.settings.zones}); zones change only on a drained "
                    "deployment"
                )
            if not self._zones:
                self._dispatch_relay, self._follow_relay = DispatchRelay(), Relay()
            store = self.incidents if self.zones.count == 1 else OwnedStore(self.incidents, name)
            zone = Zone(
                store,
                self.command_ids,
                self._district_of,
                ref_lat=self._ref_lat,
                name=name,
                zones=self.zones,
            )
            zone.add_follower(self._dispatch_relay)
            zone.add_follower(self._follow_relay)
            self._zones[name] = zone
            self._republish.add(name)
        return zone

    @property
    def merger(self) -> Merger:
        """The merge stage over its table as recovered."""
        if self._merger is None:
            self._merger = Merger(self.border, self._ref_lat)
        return self._merger

    async def _on_assigned(self, sender: Any, *args: Any, **kwargs: Any) -> None:
        # rebuilt from the recovered tables at their next record
        self._zones.clear()
        self._republish.clear()
        self._merger = None

    async def _emit(self, effects: list[Effect], origin: dict[str, Any] | None = None) -> None:
        """Send the effects, then hand the incident states among them to the dispatch stage
        (with unit reports and dispatch commands) and to the follow-up stage (with alert
        commands), each in order, with the incidents forgotten."""
        await self.outbox.emit(e for e in effects if e.topic not in HANDED_OVER)
        dispatch = dispatch_items(effects, self._dispatch_relay.take_forgotten(), origin)
        follow = follow_items(effects, self._follow_relay.take_forgotten(), origin)
        for topic, items, what in (
            (self.topics.dispatch, dispatch, "dispatch"),
            (self.topics.follow, follow, "follow-up"),
        ):
            for value in records.frame(items):
                await self.outbox.send(topic, CITY_ZONE.encode(), value, what)
        to_zones = ((e.key, e.value) for e in effects if e.topic == TO_ZONE)
        for key, value in records.frame_by_key(to_zones):
            await self.outbox.send(self.topics.evidence, key.encode(), value, "zone")
        border = [e.value for e in effects if e.topic == TO_MERGE]
        for value in records.frame(border):
            await self.outbox.send(self.topics.merge, MERGE_KEY.encode(), value, "merge")

    async def _apply(self, event: Event) -> None:
        """Apply one zone record (a batch of items, a dispatcher command, or a tick)."""
        now = now_utc()
        if event.message.topic == self.topics.commands:
            command = decode(Command, event.value)
            if self.zones.count > 1:  # to the zone of its incident, in that zone's order
                where = owner_of(command.incident_id) if command.incident_id else None
                item = {"command": command.model_dump(mode="json"), "origin": origin_of(event)}
                to = (where or self.zones.names[0]).encode()
                for value in records.frame([orjson.dumps(item)]):
                    await self.outbox.send(self.topics.evidence, to, value, "zone")
                return
            zone = await self._zone_of(CITY_ZONE, now)
            await self._emit(zone.command(command, now), origin_of(event))
            return
        key: Any = event.key
        name = key.decode(errors="replace") if isinstance(key, bytes) else CITY_ZONE
        zone = await self._zone_of(name, now)
        if records.is_tick(event.value):
            await self._emit(zone.tick(now))
            return
        effects: list[Effect] = []
        zone.begin_batch()
        for item in records.parse(event.value):
            try:
                effects += self._apply_item(zone, item, now)
            except ContractError as exc:
                await self._item_dead_letter(item, exc.reason, exc.event_id)
            except Exception as exc:
                log.exception("zone failed on an item")
                await self._item_dead_letter(item, f"internal error in zone: {exc!r}")
        effects += zone.flush(now)
        await self._emit(effects)

    async def _zone_of(self, name: str, now: datetime) -> Zone:
        """The zone ``name``, having sent again its incidents' latest states if it was just
        rebuilt."""
        zone = self.zone(name)
        if name in self._republish:
            self._republish.discard(name)
            await self._emit(zone.republish(now))
        return zone

    async def _merge(self, event: Event) -> None:
        """Apply one record of border incidents to the merge stage."""
        effects: list[Effect] = []
        for item in records.parse(event.value):
            effects += self.merger.on_incident(item["incident"])
        await self._emit(effects)

    @staticmethod
    def _apply_item(zone: Zone, item: dict[str, Any], now: datetime) -> list[Effect]:
        if "evidence" in item:
            ev = Evidence.from_json(item["evidence"])
            return structure_readings(ev) + zone.evidence(ev, now)
        if "advance" in item:  # lifecycle feedback from the dispatch stage
            change = item["advance"]
            return zone.advance(change["incident_id"], UnitStatusValue(change["status"]), now)
        if "unit" in item:
            return zone.unit_status(UnitStatus.model_validate(item["unit"]), now)
        if "command" in item:  # a dispatcher command, routed to its incident's zone
            return zone.command(Command.model_validate(item["command"]), now)
        if "merge_away" in item:  # the steps of a merge across a border (streams.zones)
            step = item["merge_away"]
            return zone.merge_away(step["incident_id"], step["into"], now)
        if "adopt" in item:
            return zone.adopt(item["adopt"], now)
        if "merged" in item:
            return zone.merged(item["merged"], now)
        raise ContractError(f"unknown zone item with keys {sorted(item)}")

    async def _item_dead_letter(
        self, item: dict[str, Any], error: str, event_id: str | None = None
    ) -> None:
        where = {"topic": self.topics.evidence, "partition": -1, "offset": -1}
        origin = item.get("origin") or where
        payload = next((item[k] for k in ZONE_ITEMS if k in item), item)
        if event_id is None and isinstance(payload, dict):
            event_id = payload.get("id") or payload.get("unit_id")
        await self.outbox.dead_letter(origin, orjson.dumps(payload), error, event_id, "zone")

    async def _deliver_alerts(self, stream: faust.StreamT[bytes]) -> None:
        """Send every alert record to the webhook channel; failures are dead-lettered."""
        async with httpx.AsyncClient(timeout=10.0) as client:
            url = self.settings.alert_webhook_url
            channel = WebhookChannel(url, client, name="webhook")
            manual = stream.noack()  # type: ignore[attr-defined]  # acked once handled
            async for event in manual.events():
                m = event.message
                try:
                    letter = await deliver(channel, event.value, m.topic, m.partition, m.offset)
                except Exception as exc:
                    log.exception("alert delivery failed")
                    letter = dead_letter(
                        source_topic=m.topic,
                        partition=m.partition,
                        offset=m.offset,
                        payload=event.value,
                        error=f"internal error in delivery: {exc!r}",
                        stage="delivery",
                    )
                if letter is not None:
                    dead = self.topics.deadletter
                    await self.outbox.send(dead, b"alerts", encode(letter), "dead letter")
                await manual.ack(event)

    async def _heartbeat(self) -> None:
        """Report the partitions this worker holds (``{ns}:workers``), with its intake
        stage's from that stage's own beat."""
        settings = self.settings
        if self._cache is None:
            self._cache = aioredis.from_url(settings.redis_url, socket_timeout=2)
        fusion = len(self.app.consumer.assignment())
        beat: dict[str, Any] = {
            "worker_id": settings.worker_id,
            "at": time.time(),
            "assigned": fusion,
            "fusion_assigned": fusion,  # Faust's group: zone, commands, changelogs
        }
        try:
            if self.intake_reported:  # the intake group (input topics)
                raw = await self._cache.hget(f"{settings.namespace}:intake", settings.worker_id)
                intake = orjson.loads(raw) if raw else {"at": 0, "assigned": 0}
                fresh = time.time() - intake["at"] < INTAKE_BEAT_MAX_AGE_S
                beat["intake_assigned"] = intake["assigned"] if fresh else 0
                beat["assigned"] += beat["intake_assigned"]
            key = f"{settings.namespace}:workers"
            await self._cache.hset(key, settings.worker_id, orjson.dumps(beat))
        except Exception:  # noqa: BLE001 - the cache being down must not stop the worker
            log.warning("heartbeat: cache unreachable")

    async def _tick(self) -> None:
        """Ask every zone, in its order, to age its incidents."""
        for name in self.zones.names:
            await self._zone_topic.send(key=name.encode(), value=records.tick(time.time()))


ZONE_ITEMS = ("evidence", "unit", "advance", "command", "merge_away", "adopt", "merged")
"""What a zone record's items carry."""


def create_app(settings: Settings, city: City, *, intake_reported: bool = True) -> faust.App:
    """The zone stage's Faust app for this deployment (``intake_reported``: this worker's
    intake stage runs beside it, and the heartbeat says how many partitions it holds)."""
    return FusionWorker(settings, city, intake_reported=intake_reported).app
