"""What the worker's two stages (Faust apps: fusion in ``streams.app``, the follow-up stage
in ``streams.follow``) share: the app's settings, and an :class:`Outbox` for what they send,
records retried until the broker takes them, dead letters, and work guarded so that bad
input and repeated failure end on the dead-letter topic.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import faust
from aiokafka.errors import MessageSizeTooLargeError
from faust.types import EventT

from stack.settings import Settings
from streams.contract import ContractError, encode
from streams.deadletter import dead_letter
from streams.topics import Topics
from streams.transport.changelog import Changelog, queued_table
from streams.zone import Effect

log = logging.getLogger("goldentime.worker")

Event = EventT[bytes]
RAW: dict[str, Any] = {
    "key_type": bytes,
    "value_type": bytes,
    "key_serializer": "raw",
    "value_serializer": "raw",
}
"""Topic options: keys and values are bytes, validated by us (Faust's JSON decoding would
crash the agent on a payload that is not JSON instead of dead-lettering it)."""


PREFETCH = 256
"""Records a stage holds fetched ahead of its agent (Faust's default is 4,096: a zone record
carries up to 500 inputs, ≤ 256 KB, and that prefetch held a surge's backlog in memory,
2.3 GB in bench.e2e, instead of leaving it on the broker)."""


def faust_app(settings: Settings, name: str) -> faust.App:
    """A Faust app of this deployment: its own consumer group and table changelogs (run it
    with ``streams.transport.faust_tuning.install`` done, as the ``goldentime`` entry points do)."""
    datadir = settings.worker_state_dir / settings.worker_id / name
    datadir.parent.mkdir(parents=True, exist_ok=True)
    return faust.App(
        name,
        broker=f"kafka://{settings.kafka_bootstrap}",
        store="memory://",
        topic_partitions=settings.partitions,
        topic_replication_factor=settings.replication_factor,
        broker_rebalance_timeout=settings.rebalance_timeout_s,
        broker_session_timeout=max(6.0, settings.rebalance_timeout_s * 2),
        broker_heartbeat_interval=1.0,
        web_enabled=False,
        datadir=str(datadir),
        producer_acks=-1,
        producer_linger=0.0,
        producer_max_batch_size=PRODUCER_BATCH_BYTES,
        consumer_auto_offset_reset="earliest",
        topic_allow_declare=True,
        stream_buffer_maxsize=PREFETCH,
    )


PRODUCER_BATCH_BYTES = 512 * 1024
"""Bytes a producer gathers per partition into one request (aiokafka's default, 16 KB, sent
a surge's records in many small requests, each waiting for the broker's acknowledgement)."""


def now_utc() -> datetime:
    """The current time, timezone-aware."""
    return datetime.now(UTC)


def stage_table(app: faust.App, changelog: Changelog, settings: Settings, name: str) -> Any:
    """A table of a stage, keyed by text, whose changelog records the stage's agent sends
    itself (``streams.transport.changelog``)."""
    return queued_table(
        app, changelog, name, default=None, key_type=str, partitions=settings.partitions
    )


def record_agent(
    app: faust.App,
    topics: list[str],
    name: str,
    outbox: Outbox,
    changelog: Changelog,
    work: Callable[[Event], Awaitable[None]],
) -> None:
    """Run ``work`` on each record of ``topics`` in order, guarded (bad input and repeated
    failure end on the dead-letter topic); a record is acknowledged once its table changes
    are handed to the producer, never earlier."""

    async def agent(stream: faust.StreamT[bytes]) -> None:
        manual = stream.noack()  # type: ignore[attr-defined]
        async for event in manual.events():
            await outbox.guarded(event, name, functools.partial(work, event))
            await changelog.drain(app.producer)  # the table changes, before the ack
            await manual.ack(event)

    app.agent(app.topic(*topics, **RAW), name=name)(agent)


def too_large(exc: BaseException | None) -> bool:
    """Whether a send failed because the record exceeds the size limit (not retryable)."""
    while exc is not None:
        if isinstance(exc, MessageSizeTooLargeError):
            return True
        exc = exc.__cause__
    return False


def origin_of(event: Event) -> dict[str, Any]:
    """Where an event was read: its topic, partition and offset."""
    m = event.message
    return {"topic": m.topic, "partition": m.partition, "offset": m.offset}


Send = Callable[[str, bytes, bytes], Awaitable[Awaitable[Any]]]
"""Hands one record (topic, key, value) to a producer; the awaitable it returns is done once
the broker acknowledged the record."""


def faust_send(app: faust.App) -> Send:
    """Send straight to a Faust app's producer (Faust's ``Topic.send`` builds a future message
    and goes through the channel for every record, which costs more CPU)."""

    def send(topic: str, key: bytes, value: bytes) -> Awaitable[Awaitable[Any]]:
        return app.producer.send(topic, key, value, None, None, None)

    return send


class Outbox:
    """What one stage sends to the deployment's topics."""

    def __init__(self, send: Send, topics: Topics) -> None:
        self._send = send
        self._topics = topics

    async def send(
        self, topic: str, key: bytes, value: bytes, what: str, durable: bool = False
    ) -> None:
        """Send to ``topic`` (its full name) until the broker takes it (``durable``: until
        it acknowledged it). A record too large for the broker is dead-lettered instead."""
        delay = 0.2
        while True:
            try:
                sent = await self._send(topic, key, value)
                if durable:
                    await sent
                return
            except Exception as exc:
                if too_large(exc) and topic != self._topics.deadletter:
                    log.error("%s record of %d bytes is too large to publish", what, len(value))
                    record = dead_letter(
                        source_topic=topic,
                        partition=-1,
                        offset=-1,
                        payload=value,
                        error=f"{what} record of {len(value)} bytes exceeds the record size "
                        "limit; not published",
                        event_id=key.decode(errors="replace")[:128],
                        stage="emit",
                    )
                    await self.send(
                        self._topics.deadletter, key, encode(record), "dead letter", durable
                    )
                    return  # retrying cannot help, and would stall the stage for good
                log.exception("cannot produce %s; retrying in %.1f s", what, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def dead_letter(
        self,
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
        await self.send(
            self._topics.deadletter,
            origin["topic"].encode(),
            encode(record),
            "dead letter",
            durable,
        )

    async def emit(self, effects: Iterable[Effect]) -> None:
        """Send effects in order."""
        for effect in effects:
            topic = self._topics.name(effect.topic)
            await self.send(topic, effect.key.encode(), effect.value, effect.topic)

    async def guarded(self, event: Event, stage: str, work: Callable[[], Awaitable[None]]) -> None:
        """Run ``work``; bad input and repeated failure end on the dead-letter topic."""
        for attempt in range(3):
            try:
                await work()
                return
            except ContractError as exc:
                await self.dead_letter(
                    origin_of(event), event.value, exc.reason, exc.event_id, stage
                )
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
                    await self.dead_letter(origin_of(event), event.value, error, None, stage)
                    return
                await asyncio.sleep(0.1 * 2**attempt)
