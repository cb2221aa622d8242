"""The Faust worker: validate inputs, dead-letter the bad ones, fuse evidence into incidents.

Two stages. Intake (``streams.batch_consumer``: aiokafka's own group consumer, every input
partition, any worker) validates in batches and forwards evidence and unit reports to the
zone topic, committing a batch once the broker has acknowledged all it produced; the zone
agent (Faust, with the tables) applies them, and dispatcher commands, in order (see
``streams.zones``) and produces the effects. Nothing may escape either stage: bad input is
dead-lettered, sends are retried until they succeed (a stalled partition is visible; a
dropped event is not)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import faust
import httpx
import orjson
import redis.asyncio as aioredis
from aiokafka import ConsumerRecord
from aiokafka.errors import MessageSizeTooLargeError

from alerts import WebhookChannel
from dispatch import Recommender
from geo import City
from stack.settings import Settings
from streams.alerting import AlertFollower
from streams.batch_consumer import BatchConsumer
from streams.contract import Command, ContractError, UnitStatus, decode, encode
from streams.deadletter import dead_letter
from streams.delivery import deliver
from streams.dispatching import DispatchFollower
from streams.evidence import Evidence
from streams.faust_tuning import install_at_least_once, set_fetch_max_wait_ms
from streams.intake import Intake, ServiceArea
from streams.overlaying import OverlayFollower
from streams.topics import INPUT_TOPICS, Topics
from streams.zone import Effect, Follower, Zone
from streams.zones import CITY_ZONE

log = logging.getLogger("goldentime.worker")

RAW: dict[str, Any] = {
    "key_type": bytes,
    "value_type": bytes,
    "key_serializer": "raw",
    "value_serializer": "raw",
}
INTAKE_BATCH = 500
TICK_S = 15.0
ZONE_PREFETCH = 256
PRODUCER_BACKLOG = 2_000
"""Changelog records the zone may leave queued in Faust's producer buffer."""
"""Zone records (and commands) a worker holds fetched ahead of the zone agent."""
ZONE_RECORD_BYTES = 256 * 1024
"""An intake batch is forwarded in zone records of about this size at most (inputs may
carry long free text; a record over the broker's 1 MB limit could never be sent)."""

Event = faust.types.EventT[bytes]


def chunks(items: list[bytes], max_bytes: int) -> list[list[bytes]]:
    """Serialised items in order, cut so that each chunk stays near ``max_bytes``."""
    out: list[list[bytes]] = []
    current: list[bytes] = []
    size = 0
    for item in items:
        if current and size + len(item) > max_bytes:
            out.append(current)
            current, size = [], 0
        current.append(item)
        size += len(item) + 1
    if current:
        out.append(current)
    return out


def too_large(exc: BaseException | None) -> bool:
    """Whether a send failed because the record exceeds the size limit (not retryable)."""
    while exc is not None:
        if isinstance(exc, MessageSizeTooLargeError):
            return True
        exc = exc.__cause__
    return False


def now_utc() -> datetime:
    """The current time, timezone-aware."""
    return datetime.now(UTC)


def create_app(settings: Settings, city: City) -> faust.App:
    """A Faust app wired to this deployment's topics and tables."""
    topics = Topics(settings.topic_prefix)
    set_fetch_max_wait_ms(settings.fetch_max_wait_ms)
    install_at_least_once()
    app = faust.App(
        f"goldentime-{settings.topic_prefix or 'main'}",
        broker=f"kafka://{settings.kafka_bootstrap}",
        store="memory://",
        topic_partitions=settings.partitions,
        topic_replication_factor=settings.replication_factor,
        broker_rebalance_timeout=settings.rebalance_timeout_s,
        broker_session_timeout=max(6.0, settings.rebalance_timeout_s * 2),
        broker_heartbeat_interval=1.0,
        web_enabled=False,
        datadir=str(settings.worker_state_dir / settings.worker_id),
        producer_acks=-1,
        producer_linger=0.0,
        consumer_auto_offset_reset="earliest",
        topic_allow_declare=True,
        # Back pressure: a zone record carries up to INTAKE_BATCH inputs (≤ 256 KB), and
        # Faust's default prefetch of 4,096 records per stream held a surge's backlog in
        # memory (2.3 GB in bench.e2e) instead of leaving it on the broker.
        stream_buffer_maxsize=ZONE_PREFETCH,
    )
    intake = Intake(
        ServiceArea.around(city.bbox),
        {cam.id: (cam.lon, cam.lat) for cam in city.cameras},
        clock=now_utc,
    )
    zone_topic = app.topic(topics.evidence, **RAW)
    zone_inputs = app.topic(topics.evidence, topics.commands, **RAW)
    outputs = {
        base: app.topic(topics.name(base), **RAW)
        for base in ("incidents", "assignments", "overlays", "alerts", "deadletter")
    }

    def table(name: str) -> Any:
        return app.Table(name, default=None, key_type=str, partitions=settings.partitions)

    # "seen" (the changelog keeps its name) now holds dispatcher command ids only: evidence
    # already counted is known from the incidents themselves
    command_ids, incidents = table("seen"), table("incidents")
    units, assignments, plans = table("units"), table("assignments"), table("plans")
    overlays_done, alerts, drafted = table("overlays-done"), table("alerts"), table("drafted")
    recommender = Recommender(city)
    recommender.prepare_coverage()
    started_at = now_utc()

    def followers(z: Zone) -> list[Follower]:
        return [
            DispatchFollower(z, city, recommender, units, assignments, plans, started_at),
            OverlayFollower(city, overlays_done),
            AlertFollower(city, alerts, drafted),
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

    async def send_forever(
        topic: faust.TopicT, key: bytes, value: bytes, what: str, durable: bool = False
    ) -> None:
        """Send until the broker takes it (``durable``: until it acknowledged it)."""
        delay = 0.2
        while True:
            try:
                sent = await topic.send(key=key, value=value)
                if durable:
                    await sent
                return
            except Exception as exc:
                if too_large(exc) and what != "dead letter":
                    log.error("%s record of %d bytes is too large to publish", what, len(value))
                    record = dead_letter(
                        source_topic=topics.name(what),
                        partition=-1,
                        offset=-1,
                        payload=value,
                        error=f"{what} record of {len(value)} bytes exceeds the record size "
                        "limit; not published",
                        event_id=key.decode(errors="replace")[:128],
                        stage="emit",
                    )
                    await send_forever(
                        outputs["deadletter"], key, encode(record), "dead letter", durable
                    )
                    return  # retrying cannot help, and would stall the zone for good
                log.exception("cannot produce %s; retrying in %.1f s", what, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def send_dead_letter(
        origin: dict[str, Any],
        payload: bytes | None,
        error: str,
        event_id: str | None,
        stage: str,
        durable: bool = False,
    ) -> None:
        """Dead-letter an input found at ``origin`` (its topic, partition and offset)."""
        record = dead_letter(
            source_topic=origin["topic"],
            partition=origin["partition"],
            offset=origin["offset"],
            payload=payload,
            error=error,
            event_id=event_id,
            stage=stage,
        )
        await send_forever(
            outputs["deadletter"], origin["topic"].encode(), encode(record), "dead letter", durable
        )

    def origin_of(event: Event) -> dict[str, Any]:
        m = event.message
        return {"topic": m.topic, "partition": m.partition, "offset": m.offset}

    async def item_dead_letter(item: dict[str, Any], error: str) -> None:
        origin = item.get("origin") or {"topic": topics.evidence, "partition": -1, "offset": -1}
        payload = item.get("evidence") or item.get("unit")
        event_id = (payload or {}).get("id") or (payload or {}).get("unit_id")
        await send_dead_letter(origin, orjson.dumps(payload), error, event_id, "zone")

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
                send_dead_letter(origin, record.value, error, event_id, "intake", durable=True)
            )
        tail = b'],"t_in":' + orjson.dumps(time.time()) + b"}"
        for chunk in chunks(items, ZONE_RECORD_BYTES):
            value = b'{"items":[' + b",".join(chunk) + tail
            letters.append(send_forever(zone_topic, CITY_ZONE.encode(), value, "zone batch", True))
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

    async def emit(effects: list[Effect]) -> None:
        for effect in effects:
            await send_forever(
                outputs[effect.topic], effect.key.encode(), effect.value, effect.topic
            )

    async def guarded(event: Event, stage: str, work: Callable[[], Awaitable[None]]) -> None:
        """Run ``work``; bad input and repeated failure end on the dead-letter topic."""
        for attempt in range(3):
            try:
                await work()
                return
            except ContractError as exc:
                origin, reason = origin_of(event), exc.reason
                await send_dead_letter(origin, event.value, reason, exc.event_id, stage)
                return
            except Exception as exc:
                log.exception(
                    "%s failed on %s[%d]@%d (attempt %d)",
                    stage,
                    event.message.topic,
                    event.message.partition,
                    event.message.offset,
                    attempt + 1,
                )
                if attempt == 2:
                    error = f"internal error in {stage}: {exc!r}"
                    await send_dead_letter(origin_of(event), event.value, error, None, stage)
                    return
                await asyncio.sleep(0.1 * 2**attempt)

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
                    await emit(zone().command(decode(Command, event.value), now))
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

            await guarded(event, "zone", work)
            await manual.ack(event)
            # Table writes queue their changelog records in Faust's producer buffer, which
            # nothing bounds: a zone ahead of it (a surge's backlog) grew it by gigabytes.
            if app.producer.buffer.size > PRODUCER_BACKLOG:
                await app.producer.buffer.flush()

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
                        await send_forever(
                            outputs["deadletter"], b"alerts", encode(letter), "dead letter"
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
