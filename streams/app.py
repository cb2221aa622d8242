"""The Faust worker: validate inputs, dead-letter the bad ones, fuse evidence into incidents.

Three stages. Intake (``streams.batch_consumer``: aiokafka's own group consumer, every
input partition, any worker) validates in batches and forwards evidence and unit reports
to the zone topic, committing a batch once the broker has acknowledged all it produced; the
zone agent (Faust, with the tables) applies them, and dispatcher commands, in order (see
``streams.zones``), publishes incidents and recommendations, and hands each incident state
and alert command to the follow-up stage (``streams.follow``: overlays and alerts, its own
app in a child process). Nothing may escape any stage: bad input is dead-lettered, sends
are retried until they succeed (a stalled partition is visible; a dropped event is not)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Sequence
from datetime import UTC, datetime
from typing import Any

import faust
import httpx
import orjson
import redis.asyncio as aioredis
from aiokafka import ConsumerRecord

from alerts import WebhookChannel
from dispatch import Recommender
from geo import City
from stack.settings import Settings
from streams.batch_consumer import BatchConsumer
from streams.changelog import Changelog, queued_table
from streams.contract import Command, ContractError, UnitStatus, decode, encode
from streams.deadletter import dead_letter
from streams.delivery import deliver
from streams.dispatching import DispatchFollower
from streams.evidence import Evidence
from streams.follow import Relay, follow_items
from streams.intake import Intake, ServiceArea
from streams.stage import RAW, Event, Outbox, chunks, faust_app, origin_of
from streams.topics import INPUT_TOPICS, Topics
from streams.zone import Effect, Follower, Zone
from streams.zones import CITY_ZONE

log = logging.getLogger("goldentime.worker")

INTAKE_BATCH = 500
TICK_S = 15.0
ZONE_RECORD_BYTES = 256 * 1024
"""An intake batch is forwarded in zone records of about this size at most (inputs may
carry long free text; a record over the broker's 1 MB limit could never be sent); the zone
hands its changes to the follow-up stage in records of the same size."""


def now_utc() -> datetime:
    """The current time, timezone-aware."""
    return datetime.now(UTC)


def create_app(settings: Settings, city: City) -> faust.App:
    """A Faust app wired to this deployment's topics and tables."""
    topics = Topics(settings.topic_prefix)
    app = faust_app(settings, f"goldentime-{settings.topic_prefix or 'main'}")
    outbox = Outbox(app, topics)
    intake = Intake(
        ServiceArea.around(city.bbox),
        {cam.id: (cam.lon, cam.lat) for cam in city.cameras},
        clock=now_utc,
    )
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
    units, assignments, plans = table("units"), table("assignments"), table("plans")
    # (overlays-done, alerts and drafted are the follow-up stage's: streams.follow)
    recommender = Recommender(city)
    recommender.prepare_coverage()
    started_at = now_utc()

    def followers(z: Zone) -> list[Follower]:
        holder["relay"] = Relay()
        return [
            DispatchFollower(z, city, recommender, units, assignments, plans, started_at),
            holder["relay"],
        ]

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

    names = {topics.name(base): base for base in INPUT_TOPICS}

    async def intake_batch(records: Sequence[ConsumerRecord[bytes, bytes]]) -> None:
        """Validate a batch, dead-letter the bad inputs, forward the rest to the zone topic;
        return once all of it is acknowledged by the broker (the batch is committed then)."""
        items: list[bytes] = []
        letters: list[Awaitable[None]] = []
        for record in records:
            base = names[record.topic]
            origin = {"topic": record.topic, "partition": record.partition, "offset": record.offset}
            try:
                if base == "unit-status":
                    status = intake.unit_status(record.value)
                    item = {"unit": status.model_dump(mode="json"), "origin": origin}
                else:
                    item = {
                        "evidence": intake.evidence(base, record.value).to_json(),
                        "origin": origin,
                    }
                items.append(orjson.dumps(item))
                continue
            except ContractError as exc:
                error, event_id = exc.reason, exc.event_id
            except Exception as exc:
                log.exception("intake of %s failed", base)
                error, event_id = f"internal error in intake: {exc!r}", None
            letters.append(
                outbox.dead_letter(origin, record.value, error, event_id, "intake", durable=True)
            )
        tail = b'],"t_in":' + orjson.dumps(time.time()) + b"}"
        for chunk in chunks(items, ZONE_RECORD_BYTES):
            value = b'{"items":[' + b",".join(chunk) + tail
            letters.append(
                outbox.send(topics.evidence, CITY_ZONE.encode(), value, "zone batch", True)
            )
        await asyncio.gather(*letters)

    intake_consumer = BatchConsumer(
        settings.kafka_bootstrap,
        list(names),
        f"goldentime-intake-{settings.topic_prefix or 'main'}",
        intake_batch,
        max_records=INTAKE_BATCH,
        fetch_max_wait_ms=settings.fetch_max_wait_ms,
        rebalance_timeout_s=settings.rebalance_timeout_s,
    )

    @app.task  # type: ignore[untyped-decorator]
    async def intake_task() -> None:
        await intake_consumer.run()

    async def emit(effects: list[Effect], origin: dict[str, Any] | None = None) -> None:
        """Send the effects, then hand the incident states and alert commands among them
        (and incidents forgotten) to the follow-up stage, in order."""
        await outbox.emit(e for e in effects if e.topic != "follow")
        items = follow_items(effects, holder["relay"].take_forgotten(), origin)
        for chunk in chunks(items, ZONE_RECORD_BYTES):
            value = b'{"items":[' + b",".join(chunk) + b"]}"
            await outbox.send(topics.follow, CITY_ZONE.encode(), value, "follow-up")

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
                data = orjson.loads(event.value)
                if "tick" in data:
                    await emit(zone().tick(now))
                    return
                effects: list[Effect] = []
                zone().begin_batch()
                for item in data["items"]:
                    try:
                        if "evidence" in item:
                            ev = Evidence.from_json(item["evidence"])
                            effects += zone().evidence(ev, now)
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
        beat = {
            "worker_id": settings.worker_id,
            "at": time.time(),
            "assigned": fusion + intake_consumer.assigned,
            "fusion_assigned": fusion,  # Faust's group: zone, commands, changelogs
            "intake_assigned": intake_consumer.assigned,  # the intake group: input topics
        }
        try:
            await cache["client"].hset(
                f"{settings.namespace}:workers", settings.worker_id, orjson.dumps(beat)
            )
        except Exception:  # noqa: BLE001 - the cache being down must not stop the worker
            log.warning("heartbeat: cache unreachable")

    @app.timer(TICK_S, name="zone-tick")  # type: ignore[untyped-decorator]
    async def zone_tick() -> None:
        await zone_topic.send(key=CITY_ZONE.encode(), value=orjson.dumps({"tick": time.time()}))

    return app
