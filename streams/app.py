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
from streams.dispatch_stage import DispatchRelay, dispatch_items
from streams.evidence import Evidence
from streams.follow import Relay, follow_items
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
from streams.zone import Effect, Zone
from streams.zones import CITY_ZONE

log = logging.getLogger("goldentime.worker")

TICK_S = 15.0
HANDED_OVER = frozenset({"dispatch", "follow"})
"""Effects for the dispatch and follow-up stages: sent on their own topics as items."""
INTAKE_BEAT_MAX_AGE_S = 6.0


class FusionWorker:
    """The zone stage of one worker process: its Faust app, the tables and the zone made
    from them, what it sends (``outbox``), its heartbeat and its tick.

    The zone is rebuilt from the recovered tables at the first record after every
    rebalance, and then publishes again the latest state of every active incident (see
    :meth:`streams.zone.Zone.republish`)."""

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
        self._zone: Zone | None = None
        self._republish = False
        self._dispatch_relay = DispatchRelay()
        self._follow_relay = Relay()
        self._cache: aioredis.Redis | None = None
        self._zone_topic = self.app.topic(self.topics.evidence, **RAW)
        inputs = [self.topics.evidence, self.topics.commands]
        record_agent(self.app, inputs, "zone", self.outbox, self.changelog, self._apply)
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

    @property
    def zone(self) -> Zone:
        """The zone over the tables as recovered (built at the first record after a
        rebalance)."""
        if self._zone is None:
            self._dispatch_relay, self._follow_relay = DispatchRelay(), Relay()
            zone = Zone(self.incidents, self.command_ids, self._district_of, ref_lat=self._ref_lat)
            zone.add_follower(self._dispatch_relay)
            zone.add_follower(self._follow_relay)
            self._zone, self._republish = zone, True
        return self._zone

    async def _on_assigned(self, sender: Any, *args: Any, **kwargs: Any) -> None:
        self._zone = None  # rebuilt from the recovered tables at the next record

    async def _emit(self, effects: list[Effect], origin: dict[str, Any] | None = None) -> None:
        """Send the effects, then hand the incident states among them to the dispatch stage
        (with unit reports and dispatch commands) and to the follow-up stage (with alert
        commands), each in order, with the incidents forgotten."""
        await self.outbox.emit(e for e in effects if e.topic not in HANDED_OVER)
        dispatch = dispatch_items(effects, self._dispatch_relay.take_forgotten())
        follow = follow_items(effects, self._follow_relay.take_forgotten(), origin)
        for topic, items, what in (
            (self.topics.dispatch, dispatch, "dispatch"),
            (self.topics.follow, follow, "follow-up"),
        ):
            for value in records.frame(items):
                await self.outbox.send(topic, CITY_ZONE.encode(), value, what)

    async def _apply(self, event: Event) -> None:
        """Apply one zone record (a batch of items, a dispatcher command, or a tick)."""
        now = now_utc()
        zone = self.zone
        if self._republish:
            self._republish = False
            await self._emit(zone.republish(now))
        if event.message.topic == self.topics.commands:
            command = decode(Command, event.value)
            await self._emit(zone.command(command, now), origin_of(event))
            return
        if records.is_tick(event.value):
            await self._emit(zone.tick(now))
            return
        effects: list[Effect] = []
        zone.begin_batch()
        for item in records.parse(event.value):
            try:
                effects += self._apply_item(zone, item, now)
            except ContractError as exc:
                await self._item_dead_letter(item, exc.reason)
            except Exception as exc:
                log.exception("zone failed on an item")
                await self._item_dead_letter(item, f"internal error in zone: {exc!r}")
        effects += zone.flush(now)
        await self._emit(effects)

    @staticmethod
    def _apply_item(zone: Zone, item: dict[str, Any], now: datetime) -> list[Effect]:
        if "evidence" in item:
            return zone.evidence(Evidence.from_json(item["evidence"]), now)
        if "advance" in item:  # lifecycle feedback from the dispatch stage
            change = item["advance"]
            return zone.advance(change["incident_id"], UnitStatusValue(change["status"]), now)
        return zone.unit_status(UnitStatus.model_validate(item["unit"]), now)

    async def _item_dead_letter(self, item: dict[str, Any], error: str) -> None:
        where = {"topic": self.topics.evidence, "partition": -1, "offset": -1}
        origin = item.get("origin") or where
        payload = item.get("evidence") or item.get("unit") or item.get("advance")
        event_id = (payload or {}).get("id") or (payload or {}).get("unit_id")
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
        """Ask the zone, in its order, to age its incidents."""
        await self._zone_topic.send(key=CITY_ZONE.encode(), value=records.tick(time.time()))


def create_app(settings: Settings, city: City, *, intake_reported: bool = True) -> faust.App:
    """The zone stage's Faust app for this deployment (``intake_reported``: this worker's
    intake stage runs beside it, and the heartbeat says how many partitions it holds)."""
    return FusionWorker(settings, city, intake_reported=intake_reported).app
