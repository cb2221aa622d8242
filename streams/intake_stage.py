"""The intake stage: every input partition, validated in batches and forwarded to the zone.

Stateless, so it scales on the input topics' partitions (its own consumer group,
``goldentime-intake-<prefix>``) and runs in a process of its own (``goldentime worker``
starts it as a child; ``goldentime worker --intake-only`` runs it alone): validating and
re-framing a surge's inputs then costs the fusion sequence nothing. A batch is committed
once the broker has acknowledged every zone record and dead letter it produced
(:class:`streams.transport.batch_consumer.BatchConsumer`), so a crash or a stop reads it again.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import orjson
import redis.asyncio as aioredis
from aiokafka import AIOKafkaProducer, ConsumerRecord

from geo import City
from stack.settings import Settings
from streams import records
from streams.contract import ContractError
from streams.intake import Intake, ServiceArea
from streams.stage import PRODUCER_BATCH_BYTES, Outbox, now_utc
from streams.topics import FEED_TOPICS, INPUT_TOPICS, Topics
from streams.transport.batch_consumer import BatchConsumer
from streams.zones import CITY_ZONE, ZoneMap, owner_of

log = logging.getLogger("goldentime.intake")

INTAKE_BATCH = 500
HEARTBEAT_S = 2.0


def group_id(settings: Settings) -> str:
    """The intake stage's consumer group in this deployment."""
    return f"goldentime-intake-{settings.topic_prefix or 'main'}"


class IntakeStage:
    """Validates batches of raw inputs, dead-letters the bad ones and forwards the rest to the
    zone topic in records of at most ``streams.records.RECORD_BYTES``."""

    def __init__(self, settings: Settings, city: City, outbox: Outbox) -> None:
        self._topics = Topics(settings.topic_prefix)
        self._outbox = outbox
        self._intake = Intake(
            ServiceArea.around(city.bbox),
            {cam.id: (cam.lon, cam.lat) for cam in city.cameras},
            clock=now_utc,
        )
        self._names = {self._topics.name(base): base for base in INPUT_TOPICS + FEED_TOPICS}
        self._zones = ZoneMap.parse(settings.zones, city.bbox)
        self.consumer = BatchConsumer(
            settings.kafka_bootstrap,
            list(self._names),
            group_id(settings),
            self.handle,
            max_records=INTAKE_BATCH,
            fetch_max_wait_ms=settings.fetch_max_wait_ms,
            rebalance_timeout_s=settings.rebalance_timeout_s,
        )

    async def handle(self, batch: Sequence[ConsumerRecord[bytes, bytes]]) -> None:
        """Validate a batch, dead-letter the bad inputs, forward the rest to the zone topic;
        return once all of it is acknowledged by the broker (the batch is committed then)."""
        items: list[tuple[str, bytes]] = []  # (zone, item)
        reports: list[bytes] = []  # emergency-room status, for the dispatch stage
        sends: list[Awaitable[None]] = []
        for record in batch:
            base = self._names[record.topic]
            origin = {"topic": record.topic, "partition": record.partition, "offset": record.offset}
            try:
                if base == "er-status":
                    status = self._intake.er_status(record.value)
                    item = {"er_status": status.model_dump(mode="json"), "origin": origin}
                    reports.append(orjson.dumps(item))
                    continue
                zone, item = self._item(base, record.value, origin)
                items.append((zone, orjson.dumps(item)))
                continue
            except ContractError as exc:
                error, event_id = exc.reason, exc.event_id
            except Exception as exc:
                log.exception("intake of %s failed", base)
                error, event_id = f"internal error in intake: {exc!r}", None
            sends.append(
                self._outbox.dead_letter(origin, record.value, error, event_id, "intake", True)
            )
        for zone, value in records.frame_by_key(items, sent_at=time.time()):
            sends.append(
                self._outbox.send(self._topics.evidence, zone.encode(), value, "zone", True)
            )
        city = CITY_ZONE.encode()  # the dispatch stage is one sequence per city
        for value in records.frame(reports):
            sends.append(self._outbox.send(self._topics.dispatch, city, value, "dispatch", True))
        await asyncio.gather(*sends)

    def _item(
        self, base: str, value: bytes | None, origin: dict[str, Any]
    ) -> tuple[str, dict[str, Any]]:
        """The zone an input goes to (``streams.zones``: evidence to the zone it lies in, a
        unit report to its incident's), and the item it becomes there."""
        if base == "unit-status":
            status = self._intake.unit_status(value)
            zone = owner_of(status.incident_id) if status.incident_id else self._zones.names[0]
            return zone, {"unit": status.model_dump(mode="json"), "origin": origin}
        ev = self._intake.evidence(base, value)
        return self._zones.home(ev.lon, ev.lat), {"evidence": ev.to_json(), "origin": origin}


def aiokafka_send(producer: AIOKafkaProducer) -> Callable[[str, bytes, bytes], Awaitable[Any]]:
    """An :data:`streams.stage.Send` over a plain aiokafka producer."""

    def send(topic: str, key: bytes, value: bytes) -> Awaitable[Any]:
        return producer.send(topic, value, key=key)  # type: ignore[no-any-return]

    return send


async def run_intake(settings: Settings, city: City) -> None:
    """Run the intake stage alone until SIGTERM or SIGINT: the batch in hand is finished and
    committed, then the group is left (its partitions move at once)."""
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap,
        acks="all",
        linger_ms=0,
        max_batch_size=PRODUCER_BATCH_BYTES,
        max_request_size=1024 * 1024,
    )
    await producer.start()
    outbox = Outbox(aiokafka_send(producer), Topics(settings.topic_prefix))
    stage = IntakeStage(settings, city, outbox)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stage.consumer.stop)
    beats = asyncio.create_task(heartbeat(settings, stage.consumer), name="intake-heartbeat")
    try:
        await stage.consumer.run()
    finally:
        beats.cancel()
        await producer.stop()


async def heartbeat(settings: Settings, consumer: BatchConsumer) -> None:
    """Report the partitions this intake holds, under the worker's id in ``{ns}:intake``
    (the worker folds it into its own heartbeat)."""
    client = aioredis.from_url(settings.redis_url, socket_timeout=2)
    try:
        while True:
            beat = {"at": time.time(), "assigned": consumer.assigned}
            try:
                await client.hset(
                    f"{settings.namespace}:intake", settings.worker_id, orjson.dumps(beat)
                )
            except Exception:  # noqa: BLE001 - the cache being down must not stop intake
                log.warning("intake heartbeat: cache unreachable")
            await asyncio.sleep(HEARTBEAT_S)
    finally:
        await client.aclose()
