"""Adjustments to Faust's Kafka consumer that its settings do not expose.

**Fetch wait.** Faust hard-codes ``fetch_max_wait_ms=1500`` for its group consumer. Against
a broker that answers a fetch only when the wait expires if no data was there at request
time (Tansu 0.6 does this), every hop then costs up to 1.5 s — three hops made a 119 call
take 1.5 s to reach the console. A short wait costs a few more idle fetch requests.

**At-least-once.** faust-streaming 0.15.3 can commit past events it never processed, in
three ways; each lost inputs in our restart and scale-out tests (issue 4):

1. ``Stream._py_aiter`` *skips* events fetched while flow control is suspended or under an
   old consumer generation (a rebalance, a graceful stop) yet acks them in its ``finally``.
   Skipped events are never *tracked* (tracking happens after the skip test), so an ack of
   an untracked message is refused here; the seek to committed offsets that ends every
   rebalance delivers them again.
2. ``Consumer._new_offset`` treats the committed offset as the last processed one, whereas
   Kafka's is the next to read: with offset 5 committed and 6, 7 acked it commits 8 and
   loses 5. Here the first acked offset must equal the committed one.
3. A partition with no commit yet (or committed at 0, which Faust stores as None) has no
   such check at all: its floor is set to the partition's earliest offset after each seek.
4. Offsets that never reached a stream (records Faust's fetcher dropped around a
   rebalance) look like *gaps* in the log, and ``_new_offset`` counted gaps as acked
   (meant for compacted topics). Here a commit waits for every offset instead, and a gap is
   logged: our input and zone topics are neither compacted nor transactional, and the seek
   to committed offsets that ends every rebalance reads such records again.

Processing stays at-least-once; the zone's idempotency by event id absorbs redeliveries.

**Recovery reads the whole changelog.** Table recovery stops at the end offsets that
ListOffsets gives, which Tansu 0.6 under-reports (see ``streams.offsets``); they are read
from a fetch instead.
"""

from __future__ import annotations

import logging
from typing import Any

from faust.transport import consumer as faust_consumer
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP
from faust.utils.functional import consecutive_numbers

from streams.offsets import end_offsets

log = logging.getLogger("goldentime.worker")
_original_create = faust_aiokafka.AIOKafkaConsumerThread._create_worker_consumer
_original_ack = faust_consumer.Consumer.ack
_original_perform_seek = faust_consumer.Consumer.perform_seek
_state = {"fetch_max_wait_ms": 1500}


def _create_worker_consumer(self: Any, transport: Any) -> Any:
    consumer = _original_create(self, transport)
    consumer._fetch_max_wait_ms = _state["fetch_max_wait_ms"]
    return consumer


def set_fetch_max_wait_ms(value: int) -> None:
    """Make Faust's group consumers long-poll for at most ``value`` ms."""
    _state["fetch_max_wait_ms"] = value
    setattr(  # noqa: B010 - replacing a method Faust gives no setting for
        faust_aiokafka.AIOKafkaConsumerThread, "_create_worker_consumer", _create_worker_consumer
    )


def _ack(self: Any, message: Any) -> bool:
    """Consumer.ack, refusing messages no stream took (skipped, hence unprocessed)."""
    if not message.tracked:
        return False
    result: bool = _original_ack(self, message)
    return result


def first_uncommittable(acked: list[int], committed: int | None) -> bool:
    """True when the lowest acked offset is beyond the next offset to commit (a gap)."""
    return bool(acked) and committed is not None and min(acked) > committed


def _new_offset(self: Any, tp: TP) -> int | None:
    """Consumer._new_offset with the head-of-queue gap measured from Kafka's committed
    offset (the next to read), and no offset counted as acked unless a stream acked it."""
    acked: list[int] = self._acked[tp]
    if not acked:
        return None
    acked.sort()
    if first_uncommittable(acked, self._committed_offset.get(tp)):
        return None
    batch = next(consecutive_numbers(acked))
    acked[: len(batch)] = []
    self._acked_index[tp].difference_update(batch)
    return int(batch[-1]) + 1


async def _perform_seek(self: Any) -> None:
    """Consumer.perform_seek, then a commit floor for partitions never committed."""
    await _original_perform_seek(self)
    acking = self.app.topics.acking_topics
    floorless = [
        tp
        for tp in self.assignment()
        if tp.topic in acking and self._committed_offset.get(tp) is None
    ]
    if floorless:
        earliest = await self.earliest_offsets(*floorless)
        for tp, offset in earliest.items():
            if self._committed_offset.get(tp) is None:
                self._committed_offset[tp] = int(offset)


async def _highwaters(self: Any, partitions: list[TP]) -> dict[TP, int]:
    """AIOKafkaConsumerThread._highwaters from a fetch (the high watermark), not ListOffsets."""
    servers = faust_aiokafka.server_list(self.transport.url, self.transport.default_port)
    ends = await end_offsets(servers, partitions)
    return {TP(tp.topic, tp.partition): offset for tp, offset in ends.items()}


async def _add_gap(self: Any, tp: TP, offset_from: int, offset_to: int) -> None:
    """Consumer._add_gap: a jump in offsets is not counted as acked, only reported."""
    log.warning(
        "offsets %d-%d of %s were never delivered; not committing past them",
        offset_from,
        offset_to - 1,
        tp,
    )


def install_at_least_once() -> None:
    """Patch Faust so that no event is committed before a stream processed it, and table
    recovery reads every changelog record."""
    patches = {
        "ack": _ack,
        "_new_offset": _new_offset,
        "perform_seek": _perform_seek,
        "_add_gap": _add_gap,
    }
    for name, function in patches.items():
        setattr(faust_consumer.Consumer, name, function)
    setattr(faust_aiokafka.AIOKafkaConsumerThread, "_highwaters", _highwaters)  # noqa: B010
