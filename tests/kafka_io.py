"""Test helpers to produce with kafka-python and read topics with aiokafka (no group)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from kafka import KafkaProducer


def produce(
    bootstrap: str, topic: str, items: list[tuple[bytes | None, bytes | dict[str, Any]]]
) -> None:
    """Send (key, value) pairs and wait for the broker's acknowledgement."""
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    try:
        for key, value in items:
            raw = value if isinstance(value, bytes) else orjson.dumps(value)
            producer.send(topic, key=key, value=raw)
        producer.flush()
    finally:
        producer.close()


async def read_until(
    bootstrap: str,
    topic: str,
    done: Callable[[list[dict[str, Any]]], bool],
    timeout_s: float = 15.0,
) -> list[dict[str, Any]]:
    """Read ``topic`` from the beginning until ``done(records)``; return the JSON values."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False, fetch_max_wait_ms=50
    )
    await consumer.start()
    try:
        parts = consumer.partitions_for_topic(topic)
        while not parts:
            await consumer._client.force_metadata_update()
            parts = consumer.partitions_for_topic(topic)
        tps = [TopicPartition(topic, p) for p in parts]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        records: list[dict[str, Any]] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while loop.time() < deadline:
            batch = await consumer.getmany(timeout_ms=100)
            for recs in batch.values():
                records += [orjson.loads(r.value) for r in recs if r.value is not None]
            if done(records):
                return records
        raise AssertionError(f"{topic}: condition not met in {timeout_s} s; got {records[-5:]}")
    finally:
        await consumer.stop()
