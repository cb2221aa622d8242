"""Follows the output topics: keeps the read model current and feeds the WebSocket hub.

Every replica reads every partition (no consumer group): replicas agree because they read
the same log, not because they share memory. On start a replica replays the log into the
read model (version-guarded, so replaying is harmless) and broadcasts only what is new.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition

from streams.topics import Topics
from streams.transport.offsets import end_offsets

log = logging.getLogger("goldentime.projector")

Message = tuple[str, bytes, bool]
"""(topic base name, value, live) — live is False while catching up on history."""
Handler = Callable[[list[Message]], Awaitable[None]]
"""Takes the messages of one partition fetched together, in order."""


class Projector:
    """Consumes the output topics of one deployment and hands each message to a handler."""

    def __init__(
        self,
        bootstrap: str,
        topics: Topics,
        bases: tuple[str, ...],
        handler: Handler,
        caught_up: asyncio.Event | None = None,
    ) -> None:
        """``caught_up`` (a new event when not given) is set once every message the topics
        held at start has been handled."""
        self._bootstrap = bootstrap
        self._names = {topics.name(b): b for b in bases}
        self._handler = handler
        self.caught_up = caught_up if caught_up is not None else asyncio.Event()
        self.messages = 0
        self._next: dict[TopicPartition, int] = {}  # survives reconnects: resume, not replay

    async def run(self) -> None:
        """Consume forever (until cancelled), reconnecting after broker failures."""
        while True:
            try:
                await self._consume()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("projector failed; reconnecting in 1 s")
                await asyncio.sleep(1.0)

    async def _consume(self) -> None:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=50,
        )
        await consumer.start()
        try:
            partitions = []
            for name in self._names:
                for p in sorted(await self._partitions(consumer, name)):
                    partitions.append(TopicPartition(name, p))
            consumer.assign(partitions)
            live_from = await end_offsets(self._bootstrap, partitions)  # not ListOffsets
            if self.caught_up.is_set():
                # A reconnect: replay the whole log again (the cache holding the read model
                # may have lost it), but clients were told everything up to where this
                # replica stopped, and all that follows is news, even what was written
                # while it was away. (A log shorter than that was reset: an embedded
                # broker restarted empty, and all of it is news.)
                live_from = {
                    tp: self._next.get(tp, 0) if self._next.get(tp, 0) <= end else 0
                    for tp, end in live_from.items()
                }
                self._next = dict(live_from)
            await consumer.seek_to_beginning(*partitions)
            pending = {tp for tp, end in live_from.items() if end > 0}
            if not pending:
                self.caught_up.set()
            while True:
                batches = await consumer.getmany(timeout_ms=200, max_records=500)
                for tp, records in batches.items():
                    base, start = self._names[tp.topic], live_from[tp]
                    await self._handler(
                        [(base, r.value, r.offset >= start) for r in records if r.value is not None]
                    )
                    self.messages += len(records)
                    last = records[-1].offset + 1
                    self._next[tp] = max(self._next.get(tp, 0), last)
                    if last >= start:
                        pending.discard(tp)
                for tp in list(pending):
                    if self.caught_up.is_set() or await consumer.position(tp) >= live_from[tp]:
                        pending.discard(tp)
                if not pending:
                    self.caught_up.set()
        finally:
            await consumer.stop()

    @staticmethod
    async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
        for _ in range(100):
            parts = consumer.partitions_for_topic(topic)
            if parts:
                return set(parts)
            await consumer._client.force_metadata_update()
            await asyncio.sleep(0.1)
        raise RuntimeError(f"topic {topic} has no partitions (was it created?)")


def frame(kind: str, data: object) -> str:
    """A WebSocket frame: ``{"type": kind, "data": …}`` as JSON text."""
    return orjson.dumps({"type": kind, "data": data}).decode()
