"""A queued table's changelog records are the bytes Faust would send, in write order.

Recovery (``tests/integration/test_restart_and_scaleout.py``, ``tests/streams/test_zone.py``
on the real broker) reads them back; here, the record itself, without a broker.
"""

from __future__ import annotations

import asyncio
from typing import Any

import faust

from streams.transport.changelog import Changelog, queued_table


def make_app() -> faust.App:
    """An app never started (no broker needed), on the test's own event loop."""
    return faust.App(
        "changelog-test",
        broker="kafka://127.0.0.1:1",
        store="memory://",
        loop=asyncio.get_running_loop(),
    )


class Producer:
    """Takes records like Faust's producer; the first ``failures`` sends raise."""

    def __init__(self, failures: int = 0) -> None:
        self.sent: list[tuple[Any, ...]] = []
        self.failures = failures

    async def send(self, *args: Any) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("broker away")
        self.sent.append(args)


async def test_records_match_what_faust_would_send() -> None:
    app, log = make_app(), Changelog()
    table = queued_table(app, log, "incidents", default=None, key_type=str, partitions=4)
    value = {"incident": {"id": "inc-1", "priority": 1}, "reporters": ["a"]}
    sent = table.send_changelog(3, "inc-1", value)
    tombstone = table.send_changelog(3, "inc-1", None, value_serializer="raw")
    assert sent.message.partition == 3 and tombstone.message.partition == 3
    faust_would = table.changelog_topic.as_future_message(
        key="inc-1",
        value=value,
        partition=3,
        key_serializer=table.key_serializer,
        value_serializer=table.value_serializer,
    ).message
    topic = table.changelog_topic.get_topic_name()
    assert log.pending == [
        (topic, 3, faust_would.key, faust_would.value),
        (topic, 3, faust_would.key, None),
    ]
    assert topic == "changelog-test-incidents-changelog"


async def test_drain_sends_in_order_and_retries_a_refused_record() -> None:
    app, log = make_app(), Changelog()
    table = queued_table(app, log, "plans", default=None, key_type=str, partitions=2)
    for n in range(5):
        table.send_changelog(1, f"inc-{n}", {"n": n})
    producer = Producer(failures=2)
    await log.drain(producer)
    assert [args[1] for args in producer.sent] == [f'"inc-{n}"'.encode() for n in range(5)]
    assert all(args[3] == 1 for args in producer.sent) and len(log) == 0
