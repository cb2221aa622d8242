"""End offsets of partitions, read from a fetch rather than from ListOffsets.

Tansu 0.6 answers ListOffsets(latest) with the base offset of a partition's last record
batch plus one, not with its high watermark: after a batch of 8 records at offsets 62–69
it says 63, where Kafka says 70 (reproduced in ``tests/streams/test_offsets.py``). Faust
table recovery reads a changelog up to that answer, so a worker taking over a partition
silently missed the last batch of its changelog and overwrote newer incident states with
older ones. A fetch response carries the true high watermark, so this module reads it
from one short fetch per partition. Against Kafka the two answers are the same.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable

from aiokafka import AIOKafkaConsumer, TopicPartition

log = logging.getLogger("goldentime.offsets")
FETCH_TIMEOUT_S = 5.0


async def end_offsets(
    bootstrap: str | list[str], partitions: Iterable[TopicPartition]
) -> dict[TopicPartition, int]:
    """The high watermark (offset after the last record) of each partition."""
    tps = [TopicPartition(tp.topic, tp.partition) for tp in partitions]  # Faust's TP too
    if not tps:
        return {}
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        fetch_max_wait_ms=20,
    )
    await consumer.start()
    try:
        listed = await consumer.end_offsets(tps)
        consumer.assign(tps)
        for tp in tps:  # at (or just before) the end: the fetch carries little data
            consumer.seek(tp, max(int(listed[tp]) - 1, 0))
        deadline = time.monotonic() + FETCH_TIMEOUT_S
        while any(consumer.highwater(tp) is None for tp in tps):
            if time.monotonic() > deadline:
                unknown = [tp for tp in tps if consumer.highwater(tp) is None]
                log.warning("no high watermark for %s; using ListOffsets for them", unknown)
                break
            await consumer.getmany(*tps, timeout_ms=100)
            await asyncio.sleep(0)
        return {tp: max(int(consumer.highwater(tp) or 0), int(listed[tp])) for tp in tps}
    finally:
        await consumer.stop()


async def first_offset_from(
    bootstrap: str | list[str], partition: TopicPartition, offset: int
) -> int | None:
    """The first offset a fetch of ``partition`` from ``offset`` returns: ``offset`` itself
    while the log holds it, a later one past a real hole (None: no answer in time)."""
    tp = TopicPartition(partition.topic, partition.partition)  # Faust's TP too
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False, fetch_max_wait_ms=20
    )
    await consumer.start()
    try:
        consumer.assign([tp])
        consumer.seek(tp, offset)
        deadline = time.monotonic() + FETCH_TIMEOUT_S
        while time.monotonic() < deadline:
            records = (await consumer.getmany(tp, timeout_ms=100)).get(tp)
            if records:
                return int(records[0].offset)
        return None
    finally:
        await consumer.stop()
