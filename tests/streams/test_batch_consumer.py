"""The intake's batch consumer on the real broker: a batch is committed only once handled."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence

import pytest
from aiokafka import ConsumerRecord

from bench.fusion import until
from stack.settings import Settings
from streams.topics import Topics
from streams.transport.batch_consumer import BatchConsumer
from tests.kafka_io import produce

pytestmark = [pytest.mark.integration]


class Handler:
    """Records every value it is handed; fails on the first batch when asked to."""

    def __init__(self, fail_first: bool = False) -> None:
        self.fail_first = fail_first
        self.values: list[bytes] = []

    async def __call__(self, records: Sequence[ConsumerRecord[bytes, bytes]]) -> None:
        self.values += [r.value for r in records if r.value is not None]
        if self.fail_first:
            self.fail_first = False
            raise ConnectionError("the broker did not acknowledge the forwarded batch")


@contextlib.asynccontextmanager
async def consuming(settings: Settings, handler: Handler) -> AsyncIterator[BatchConsumer]:
    topic = Topics(settings.topic_prefix).calls
    consumer = BatchConsumer(
        settings.kafka_bootstrap,
        [topic],
        f"intake-test-{settings.topic_prefix}",
        handler,
        rebalance_timeout_s=settings.rebalance_timeout_s,
    )
    task = asyncio.create_task(consumer.run())
    try:
        yield consumer
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_a_batch_that_failed_is_read_again_and_a_handled_one_is_not(
    settings: Settings,
) -> None:
    topic = Topics(settings.topic_prefix).calls
    produce(settings.kafka_bootstrap, topic, [(b"k", f"in-{i}".encode()) for i in range(3)])
    first = Handler(fail_first=True)
    async with consuming(settings, first) as consumer:
        assert await until(lambda: first.values.count(b"in-2") == 2 and consumer.batches >= 1, 30)
    # the failed batch was handed over again (never committed), then committed
    assert first.values[:3] == [b"in-0", b"in-1", b"in-2"]
    assert sorted(first.values) == sorted([b"in-0", b"in-1", b"in-2"] * 2)

    produce(settings.kafka_bootstrap, topic, [(b"k", b"in-3")])
    second = Handler()
    async with consuming(settings, second):  # the same group, after a restart
        assert await until(lambda: b"in-3" in second.values, 30)
    assert second.values == [b"in-3"]  # what was handled and committed is not read again
