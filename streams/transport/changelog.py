"""Table changelog records sent by the zone agent itself, not through Faust's producer buffer.

A Faust table write (``table[key] = value``) queues its changelog record with
``Topic.send_soon``: a ``FutureMessage`` per write in the app's ``ProducerBuffer``, which a
background task sends one at a time through the topic's channel machinery. That path cost
more CPU than the write itself (a busy zone makes about one table write per input), and
nothing bounded the buffer (a zone ahead of it held gigabytes of records).

A :class:`QueuedTable` serialises its changelog record exactly as Faust would (same topic,
partition, key and value bytes, so recovery reads it unchanged) and appends it to a
:class:`Changelog`; the zone agent sends what is queued with :meth:`Changelog.drain`
after every record it applies, before acknowledging it. Faust flushes the producer before
each commit, so a table change is on the broker before the offset that caused it is
committed, as before.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import faust

log = logging.getLogger("goldentime.changelog")

Record = tuple[str, int, bytes | None, bytes | None]  # topic, partition, key, value


@dataclass
class Changelog:
    """Changelog records queued by table writes, to send in order."""

    pending: list[Record] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.pending)

    async def drain(self, producer: Any) -> None:
        """Hand every queued record to ``producer`` (Faust's), in order, retrying each until
        the producer takes it; delivery is awaited by the producer's flush before a commit."""
        delay, sent = 0.2, 0
        try:
            while sent < len(self.pending):
                topic, partition, key, value = self.pending[sent]
                try:
                    await producer.send(topic, key, value, partition, None, None)
                except Exception:
                    log.exception("cannot queue a %s record; retrying in %.1f s", topic, delay)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 5.0)
                    continue
                sent, delay = sent + 1, 0.2
        finally:
            del self.pending[:sent]


class QueuedTable(faust.Table[str, Any]):
    """A Faust table whose changelog records go to a :class:`Changelog`."""

    changelog: Changelog

    def send_changelog(
        self,
        partition: int | None,
        key: Any,
        value: Any,
        key_serializer: Any = None,
        value_serializer: Any = None,
    ) -> Any:
        """Queue the record Faust would send (same bytes, same partition)."""
        topic: Any = self.changelog_topic  # a faust.Topic (ChannelT's stub lacks the args)
        final_key, _ = topic.prepare_key(key, key_serializer or self.key_serializer, None, {})
        final_value, _ = topic.prepare_value(
            value, value_serializer or self.value_serializer, None, {}
        )
        name = topic.get_topic_name()
        if partition is None:
            partition = self.app.producer.key_partition(name, final_key).partition
        self.changelog.pending.append((name, partition, final_key, final_value))
        # Faust's on_key_set/on_key_del read the partition from the returned message
        return SimpleNamespace(message=SimpleNamespace(partition=partition))


def queued_table(app: faust.App, changelog: Changelog, name: str, **kwargs: Any) -> QueuedTable:
    """Define a :class:`QueuedTable` on ``app`` (as ``app.Table`` would)."""
    table = QueuedTable(app, name=name, beacon=app.tables.beacon, **kwargs)
    table.changelog = changelog
    app.tables.add(table)
    return table
