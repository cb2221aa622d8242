"""A group consumer that hands batches to a coroutine and commits only what it finished.

The intake stage is stateless (validate, dead-letter, forward to the zone topic), so it needs
none of Faust's tables or agents, and it paid for them: Faust's per-event machinery took
about half of the worker's CPU at intake, and its fetch thread could hand out records
fetched before a rebalance's seek after it (see ``streams.transport.faust_tuning``). This
is aiokafka's own group consumer, in the intake stage's event loop:

* a batch is handled whole, then its offsets are committed: at-least-once;
* a rebalance waits for the batch in hand (``on_partitions_revoked`` takes the same lock),
  so the next owner starts where this one committed;
* a commit refused because the group moved on only means the next owner reads the batch
  again (the zone is idempotent by event id); a broker failure means reconnecting and
  reading from the last commit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.errors import CommitFailedError, IllegalStateError

log = logging.getLogger("goldentime.intake")

Handler = Callable[[Sequence[ConsumerRecord[bytes, bytes]]], Awaitable[None]]
"""Handles a batch (records of one partition stay in offset order); returns when every
effect of the batch is durable. Must not raise for bad input."""


class _WaitForBatch(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, owner: BatchConsumer) -> None:
        self._owner = owner

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        async with self._owner.batch_lock:  # the batch in hand is finished and committed
            pass

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        self._owner.assigned = len(assigned)


class BatchConsumer:
    """Consumes ``topics`` in group ``group_id`` and passes batches to ``handle``."""

    def __init__(
        self,
        bootstrap: str,
        topics: Sequence[str],
        group_id: str,
        handle: Handler,
        *,
        max_records: int = 500,
        fetch_max_wait_ms: int = 20,
        rebalance_timeout_s: float = 3.0,
    ) -> None:
        self._bootstrap = bootstrap
        self._topics = list(topics)
        self._group_id = group_id
        self._handle = handle
        self._max_records = max_records
        self._fetch_max_wait_ms = fetch_max_wait_ms
        self._rebalance_timeout_ms = int(rebalance_timeout_s * 1000)
        self.batch_lock = asyncio.Lock()
        self.assigned = 0
        self.batches = 0
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        """Finish and commit the batch in hand, leave the group, and return from :meth:`run`."""
        self._stopping.set()

    async def run(self) -> None:
        """Consume until :meth:`stop` or cancelled, reconnecting (from the last commit) after
        failures."""
        while not self._stopping.is_set():
            try:
                await self._consume()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("intake consumer failed; reconnecting in 1 s")
                self.assigned = 0
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), 1.0)

    async def _consume(self) -> None:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap,
            group_id=self._group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=self._fetch_max_wait_ms,
            rebalance_timeout_ms=self._rebalance_timeout_ms,
            session_timeout_ms=max(6000, 2 * self._rebalance_timeout_ms),
            heartbeat_interval_ms=1000,
        )
        consumer.subscribe(self._topics, listener=_WaitForBatch(self))
        await consumer.start()
        try:
            while not self._stopping.is_set():
                fetched = await consumer.getmany(timeout_ms=200, max_records=self._max_records)
                if not fetched:
                    continue
                async with self.batch_lock:
                    await self._handle([r for records in fetched.values() for r in records])
                    self.batches += 1
                    await self._commit(consumer, fetched)
        finally:
            self.assigned = 0
            await consumer.stop()

    @staticmethod
    async def _commit(
        consumer: AIOKafkaConsumer,
        fetched: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]],
    ) -> None:
        offsets = {tp: records[-1].offset + 1 for tp, records in fetched.items() if records}
        try:
            await consumer.commit(offsets)
        except (CommitFailedError, IllegalStateError) as exc:
            # the group moved on: the partition's next owner reads this batch again
            log.warning("intake commit refused (%s); the batch will be read again", exc)
