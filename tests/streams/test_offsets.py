"""End offsets on the real broker: the high watermark, even when the last batch has many
records (Tansu's ListOffsets answers with the last batch's base offset)."""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic

from stack.settings import Settings
from streams.transport.offsets import end_offsets, first_offset_from


async def batches_on(
    settings: Settings, name: str, partitions: int, batches: tuple[int, ...]
) -> str:
    """A new topic with ``partitions``, and record batches of the given sizes on partition 0."""
    topic = f"{settings.topic_prefix}{name}"
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    try:
        admin.create_topics([NewTopic(topic, partitions, 1)])
    finally:
        admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, linger_ms=50)
    await producer.start()
    try:
        for batch in batches:
            sent = [await producer.send(topic, b"x", partition=0) for _ in range(batch)]
            await asyncio.gather(*sent)
    finally:
        await producer.stop()
    return topic


async def test_end_offsets_count_every_record_of_the_last_batch(settings: Settings) -> None:
    # two batches of several records each on partition 0
    topic = await batches_on(settings, "offsets", 2, (10, 5))
    tps = [TopicPartition(topic, 0), TopicPartition(topic, 1)]
    assert await end_offsets(settings.kafka_bootstrap, tps) == {tps[0]: 15, tps[1]: 0}
    listed = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, group_id=None)
    await listed.start()
    try:  # what the broker's ListOffsets says (Kafka: 15; Tansu 0.6: 11); either way ≤ 15
        assert (await listed.end_offsets(tps[:1]))[tps[0]] <= 15
    finally:
        await listed.stop()


async def test_a_record_in_the_log_is_found_where_it_is_never_read_past(
    settings: Settings,
) -> None:
    """Before the consumer reads past offsets it was not given, it asks the broker whether
    the log holds them: a fetch from any offset of a batch starts at that offset."""
    topic = await batches_on(settings, "holes", 1, (12,))
    tp = TopicPartition(topic, 0)
    for offset in (0, 5, 11):
        assert await first_offset_from(settings.kafka_bootstrap, tp, offset) == offset
    assert await first_offset_from(settings.kafka_bootstrap, tp, 12) is None  # not there yet
