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
from datetime import UTC, datetime
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
    origin_of,
)
from streams.topics import Topics
from streams.transport.changelog import Changelog, queued_table
from streams.zone import Effect, Follower, Zone
from streams.zones import CITY_ZONE

log = logging.getLogger("goldentime.worker")

TICK_S = 15.0
HANDED_OVER = frozenset({"dispatch", "follow"})
"""Effects for the dispatch and follow-up stages: sent on their own topics as items."""
INTAKE_BEAT_MAX_AGE_S = 6.0


def now_utc() -> datetime:
    """The current time, timezone-aware."""
    return datetime.now(UTC)


def create_app(settings: Settings, city: City, *, intake_reported: bool = True) -> faust.App:
    """A Faust app wired to this deployment's topics and tables (``intake_reported``: this
    worker's intake stage runs beside it, and its heartbeat says how many partitions it holds)."""
    topics = Topics(settings.topic_prefix)
    app = faust_app(settings, f"goldentime-{settings.topic_prefix or 'main'}")
    outbox = Outbox(faust_send(app), topics)
    zone_topic = app.topic(topics.evidence, **RAW)
    zone_inputs = app.topic(topics.evidence, topics.commands, **RAW)

    changelog = Changelog()  # the tables' changelog records, sent by the zone agent

    def table(name: str) -> Any:
        return queued_table(
            app, changelog, name, default=None, key_type=str, partitions=settings.partitions
        )

    # "seen" (the changelog keeps its name) now holds dispatcher command ids only: evidence
    # already counted is known from the incidents themselves
    command_ids, incidents = table("seen"), table("incidents")
    # (units, assignments and plans are the dispatch stage's: streams.dispatch_stage;
    # overlays-done, alerts and drafted the follow-up stage's: streams.follow)

    def followers(z: Zone) -> list[Follower]:
        holder["dispatch"], holder["relay"] = DispatchRelay(), Relay()
        return [holder["dispatch"], holder["relay"]]

    holder: dict[str, Any] = {"zone": None}
    center_lat = (city.bbox[1] + city.bbox[3]) / 2

    def district_of(lon: float, lat: float) -> str | None:
        district = city.district_at(lon, lat)
        return district.name if district else None

    def zone() -> Zone:
        if holder["zone"] is None:
            z = Zone(incidents, command_ids, district_of, ref_lat=center_lat)
            for follower in followers(z):
                z.add_follower(follower)
            holder["zone"] = z
            holder["republish"] = True
        zone_: Zone = holder["zone"]
        return zone_

    @app.on_partitions_assigned.connect  # type: ignore[arg-type]
    async def on_assigned(sender: Any, *args: Any, **kwargs: Any) -> None:
        holder["zone"] = None  # rebuilt from the recovered tables at the next message

    async def item_dead_letter(item: dict[str, Any], error: str) -> None:
        origin = item.get("origin") or {"topic": topics.evidence, "partition": -1, "offset": -1}
        payload = item.get("evidence") or item.get("unit")
        event_id = (payload or {}).get("id") or (payload or {}).get("unit_id")
        await outbox.dead_letter(origin, orjson.dumps(payload), error, event_id, "zone")

    async def emit(effects: list[Effect], origin: dict[str, Any] | None = None) -> None:
        """Send the effects, then hand the incident states among them to the dispatch stage
        (with unit reports and dispatch commands) and to the follow-up stage (with alert
        commands), each in order, with the incidents forgotten."""
        await outbox.emit(e for e in effects if e.topic not in HANDED_OVER)
        dispatch = dispatch_items(effects, holder["dispatch"].take_forgotten())
        follow = follow_items(effects, holder["relay"].take_forgotten(), origin)
        for topic, items, what in (
            (topics.dispatch, dispatch, "dispatch"),
            (topics.follow, follow, "follow-up"),
        ):
            for value in records.frame(items):
                await outbox.send(topic, CITY_ZONE.encode(), value, what)

    @app.agent(zone_inputs, name="zone")
    async def zone_agent(stream: faust.StreamT[bytes]) -> None:
        manual = stream.noack()  # type: ignore[attr-defined]  # acked once applied, never earlier
        async for event in manual.events():

            async def work(event: Event = event) -> None:
                now = now_utc()
                zone()
                if holder.pop("republish", False):
                    await emit(zone().republish(now))
                if event.message.topic == topics.commands:
                    command = decode(Command, event.value)
                    await emit(zone().command(command, now), origin_of(event))
                    return
                if records.is_tick(event.value):
                    await emit(zone().tick(now))
                    return
                effects: list[Effect] = []
                zone().begin_batch()
                for item in records.parse(event.value):
                    try:
                        if "evidence" in item:
                            ev = Evidence.from_json(item["evidence"])
                            effects += zone().evidence(ev, now)
                        elif "advance" in item:  # from the dispatch stage
                            change = item["advance"]
                            reported = UnitStatusValue(change["status"])
                            effects += zone().advance(change["incident_id"], reported, now)
                        else:
                            status = UnitStatus.model_validate(item["unit"])
                            effects += zone().unit_status(status, now)
                    except ContractError as exc:
                        await item_dead_letter(item, exc.reason)
                    except Exception as exc:
                        log.exception("zone failed on an item")
                        await item_dead_letter(item, f"internal error in zone: {exc!r}")
                effects += zone().flush(now)
                await emit(effects)

            await outbox.guarded(event, "zone", work)
            await changelog.drain(app.producer)  # the table changes, before the ack
            await manual.ack(event)

    if settings.alert_webhook_url:
        alerts_topic = app.topic(topics.alerts, **RAW)

        @app.agent(alerts_topic, name="alert-delivery")
        async def alert_delivery(stream: faust.StreamT[bytes]) -> None:
            async with httpx.AsyncClient(timeout=10.0) as client:
                channel = WebhookChannel(settings.alert_webhook_url, client, name="webhook")
                manual = stream.noack()  # type: ignore[attr-defined]  # acked once handled
                async for event in manual.events():
                    try:
                        letter = await deliver(
                            channel,
                            event.value,
                            event.message.topic,
                            event.message.partition,
                            event.message.offset,
                        )
                    except Exception as exc:
                        log.exception("alert delivery failed")
                        letter = dead_letter(
                            source_topic=event.message.topic,
                            partition=event.message.partition,
                            offset=event.message.offset,
                            payload=event.value,
                            error=f"internal error in delivery: {exc!r}",
                            stage="delivery",
                        )
                    if letter is not None:
                        await outbox.send(
                            topics.deadletter, b"alerts", encode(letter), "dead letter"
                        )
                    await manual.ack(event)

    cache: dict[str, aioredis.Redis] = {}

    @app.timer(2.0, name="heartbeat")  # type: ignore[untyped-decorator]
    async def heartbeat() -> None:
        if "client" not in cache:
            cache["client"] = aioredis.from_url(settings.redis_url, socket_timeout=2)
        fusion = len(app.consumer.assignment())
        beat: dict[str, Any] = {
            "worker_id": settings.worker_id,
            "at": time.time(),
            "assigned": fusion,
            "fusion_assigned": fusion,  # Faust's group: zone, commands, changelogs
        }
        try:
            if intake_reported:  # the intake group (input topics), from the stage's own beat
                raw = await cache["client"].hget(f"{settings.namespace}:intake", settings.worker_id)
                intake = orjson.loads(raw) if raw else {"at": 0, "assigned": 0}
                fresh = time.time() - intake["at"] < INTAKE_BEAT_MAX_AGE_S
                beat["intake_assigned"] = intake["assigned"] if fresh else 0
                beat["assigned"] += beat["intake_assigned"]
            await cache["client"].hset(
                f"{settings.namespace}:workers", settings.worker_id, orjson.dumps(beat)
            )
        except Exception:  # noqa: BLE001 - the cache being down must not stop the worker
            log.warning("heartbeat: cache unreachable")

    @app.timer(TICK_S, name="zone-tick")  # type: ignore[untyped-decorator]
    async def zone_tick() -> None:
        await zone_topic.send(key=CITY_ZONE.encode(), value=records.tick(time.time()))

    return app
