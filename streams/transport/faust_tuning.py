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

5. Faust's fetch thread can hand out records fetched *before* the seek to committed offsets
   that ends a rebalance *after* it: with 100 committed, records 130–140 arrive first and
   are processed, then 100–129 arrive, look "already read" and are dropped until the next
   rebalance (a clean stop of one of two workers lost inputs this way). Here each acking
   partition's next offset is tracked from the seek: a record past it is skipped and the
   partition sought back to it; one before it is a redelivery and dropped. A hole that is
   still there after ``GAP_PATIENCE_S`` is a real gap in the log and is read past. From a
   rebalance until its seek (Faust resumes flow before seeking) every record is delivered:
   the order of the last generation no longer holds there, and a drop would be a loss.

Processing stays at-least-once; the zone's idempotency by event id absorbs redeliveries.

**Recovery reads the whole changelog.** Table recovery stops at the end offsets that
ListOffsets gives, which Tansu 0.6 under-reports (see ``streams.transport.offsets``); they are read
from a fetch instead.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib.metadata
import inspect
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, cast

from faust.transport import consumer as faust_consumer
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP
from faust.utils.functional import consecutive_numbers
from mode import Service

from streams.transport.offsets import end_offsets, first_offset_from

log = logging.getLogger("goldentime.worker")

FAUST_VERSION = "0.15.3"
"""The faust-streaming release these patches were written against (pinned in
``pyproject.toml``): they replace private methods and copy one of its loops, so another
release must be read and checked before they are installed on it."""
_UPSTREAM: dict[str, Callable[..., Any]] = {
    "AIOKafkaConsumerThread._create_worker_consumer": (
        faust_aiokafka.AIOKafkaConsumerThread._create_worker_consumer
    ),
    "AIOKafkaConsumerThread._highwaters": faust_aiokafka.AIOKafkaConsumerThread._highwaters,
    "Consumer.ack": faust_consumer.Consumer.ack,
    "Consumer._new_offset": faust_consumer.Consumer._new_offset,
    "Consumer.perform_seek": faust_consumer.Consumer.perform_seek,
    "Consumer._add_gap": faust_consumer.Consumer._add_gap,
    "Consumer._drain_messages": faust_consumer.Consumer._drain_messages,
}
UPSTREAM_DIGESTS = {
    "AIOKafkaConsumerThread._create_worker_consumer": (
        "c2701bfc3e6f6cad95c2be36d6a255a86e2c57d18d36cc1082b5fb5c482d99d7"
    ),
    "AIOKafkaConsumerThread._highwaters": (
        "a7f4f97d9f32aca2777713e22671d70eae4b3ae51541bb09a90448ce83acefce"
    ),
    "Consumer._add_gap": "4df2573ded7c1c2cde04dc6bde6d4480cb5875ef565256e56966b585ae39b1c1",
    "Consumer._drain_messages": "44a2500309e83c630493f6828af50166ec8d96a0b3e4fb2bab735f704ae93417",
    "Consumer._new_offset": "1d2c7ea89a7ad4f1a216c1d51936e569162cd66bd56f889e13fd29c910b58eb0",
    "Consumer.ack": "5fcf41cf45153475de3790dc56fec1b83335956dc8b3bf7ff6bbb2b57627f03f",
    "Consumer.perform_seek": "0e8c130ff4b0afd82c0be9c5fd831316e10febc62c94032833911096e156d7c6",
}
"""sha256 of the source of each upstream method replaced here, as in ``FAUST_VERSION``."""


class FaustVersionError(RuntimeError):
    """The installed faust-streaming is not the release the patches were written for."""


def upstream_digests() -> dict[str, str]:
    """sha256 of the source of each upstream method replaced here, as installed."""
    return {
        name: hashlib.sha256(inspect.getsource(function).encode()).hexdigest()
        for name, function in _UPSTREAM.items()
    }


def check_upstream() -> None:
    """Raise :class:`FaustVersionError` unless the installed Faust is the release (and the
    methods) the patches were written for."""
    installed = importlib.metadata.version("faust-streaming")
    if installed != FAUST_VERSION:
        raise FaustVersionError(
            f"faust-streaming {installed} is installed; GoldenTime's consumer patches "
            f"(streams.transport.faust_tuning) were written for {FAUST_VERSION}: "
            "install that release"
        )
    changed = sorted(k for k, v in upstream_digests().items() if UPSTREAM_DIGESTS.get(k) != v)
    if changed:
        raise FaustVersionError(f"faust-streaming's methods differ from {FAUST_VERSION}: {changed}")


def install(fetch_max_wait_ms: int) -> None:
    """Check the installed Faust (:func:`check_upstream`) and install every patch here, once
    per process, before any Faust consumer starts."""
    if not _state["installed"]:
        check_upstream()
        install_at_least_once()
        _state["installed"] = True
    set_fetch_max_wait_ms(fetch_max_wait_ms)


_original_create = faust_aiokafka.AIOKafkaConsumerThread._create_worker_consumer
_original_ack = faust_consumer.Consumer.ack
_original_perform_seek = faust_consumer.Consumer.perform_seek
GAP_PATIENCE_S = 10.0
SEEK_EVERY_S = 1.0
_state: dict[str, Any] = {"fetch_max_wait_ms": 1500, "installed": False}


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


class Verdict(Enum):
    """What to do with a fetched record of an acking partition."""

    DELIVER = "deliver"
    DROP = "drop"  # before the next offset: delivered already
    SEEK = "seek"  # past the next offset: skip it and read again from the next one
    SKIP = "skip"  # past the next offset, a seek back is under way


@dataclass
class ReadOrder:
    """The next offset each acking partition must deliver, from the last seek on."""

    next: dict[TP, int] = field(default_factory=dict)
    gap_since: dict[TP, tuple[int, float]] = field(default_factory=dict)
    sought_at: dict[TP, float] = field(default_factory=dict)
    generation: int | None = None  # the consumer generation of the last seek

    def reset(self, tp: TP, offset: int | None) -> None:
        """Reading of ``tp`` starts again at ``offset`` (None: wherever the log starts)."""
        if offset is None:
            self.next.pop(tp, None)
        else:
            self.next[tp] = offset
        self.gap_since.pop(tp, None)
        self.sought_at.pop(tp, None)

    def verdict(self, tp: TP, offset: int, now: float) -> Verdict:
        expected = self.next.get(tp)
        if expected is None or offset == expected:
            return Verdict.DELIVER
        if offset < expected:
            return Verdict.DROP
        since = self.gap_since.get(tp)
        if since is None or since[0] != expected:
            since = self.gap_since[tp] = (expected, now)
        if now - since[1] >= GAP_PATIENCE_S:
            return Verdict.DELIVER  # a real hole in the log: nothing else will come
        if now - self.sought_at.get(tp, -SEEK_EVERY_S) >= SEEK_EVERY_S:
            self.sought_at[tp] = now
            return Verdict.SEEK
        return Verdict.SKIP

    def delivered(self, tp: TP, offset: int) -> None:
        if tp in self.next:
            self.next[tp] = offset + 1
            self.gap_since.pop(tp, None)


def read_order(consumer: Any) -> ReadOrder:
    """The consumer's ReadOrder (made on first use)."""
    order: ReadOrder | None = getattr(consumer, "_gt_read_order", None)
    if order is None:
        order = consumer._gt_read_order = ReadOrder()
    return order


async def _perform_seek(self: Any) -> None:
    """Consumer.perform_seek, then a commit floor for partitions never committed, and the
    next offset each acking partition must deliver."""
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
    order = read_order(self)
    order.next.clear()
    order.generation = self.app.consumer_generation_id
    for tp in self.assignment():
        if tp.topic in acking:
            order.reset(tp, self._committed_offset.get(tp))


async def _seek_back(consumer: Any, tp: TP, offset: int) -> None:
    """Seek ``tp`` to ``offset`` in the consumer's own thread (aiokafka is not thread-safe)."""
    thread = getattr(consumer, "_thread", None)
    if thread is None:
        await consumer.seek(tp, offset)
        return
    kafka = thread._ensure_consumer()

    async def seek() -> None:
        kafka.seek(tp, offset)

    await thread.call_thread(seek)


async def _still_in_log(consumer: Any, tp: TP, offset: int) -> bool:
    """Whether the log holds ``offset`` (or the broker does not say), although it was not
    delivered for ``GAP_PATIENCE_S``: then it is read again, never past. Only a hole the
    broker confirms is read past; an undelivered record is a stall to see, not a loss."""
    servers = faust_aiokafka.server_list(consumer.transport.url, consumer.transport.default_port)
    try:
        first = await first_offset_from(servers, tp, offset)
    except Exception:
        log.exception("cannot check offset %d of %s", offset, tp)
        return True
    if first is None or first == offset:
        log.warning(
            "offset %d of %s is in the log but was not delivered for %.0f s; reading it "
            "again, not past it",
            offset,
            tp,
            GAP_PATIENCE_S,
        )
        return True
    return False


def _read_past_hole(consumer: Any, tp: TP, first: int, end: int) -> None:
    """Offsets ``first``..``end - 1`` are not in the log: count them as done, or the
    commit would wait for them forever."""
    log.warning(
        "offsets %d-%d of %s are not in the log after %.0f s; reading past them",
        first,
        end - 1,
        tp,
        GAP_PATIENCE_S,
    )
    holes = range(first, end)
    consumer._acked[tp].extend(holes)
    consumer._acked_index[tp].update(holes)


async def _drain_messages(self: Any, fetcher: Any) -> None:  # pragma: no cover - Faust loop
    """Consumer._drain_messages (faust-streaming 0.15.3) delivering each acking partition's
    records in offset order from the last seek (see ReadOrder); other topics as before."""
    callback = self.callback
    getmany = self.getmany
    consumer_should_stop = cast(Service, self)._stopped.is_set
    fetcher_should_stop = cast(Service, fetcher)._stopped.is_set
    get_read_offset = self._read_offset.__getitem__
    set_read_offset = self._read_offset.__setitem__
    set_flag = self.diag.set_flag
    unset_flag = self.diag.unset_flag
    commit_every = self._commit_every
    acks_enabled_for = self.app.topics.acks_enabled_for
    order = read_order(self)
    num_since_yield = 0
    try:
        while not (consumer_should_stop() or fetcher_should_stop()):
            set_flag(faust_consumer.CONSUMER_FETCHING)
            ait = getmany(timeout=1.0)
            await self.sleep(0)
            if not self.should_stop:
                async for tp, message in ait:
                    num_since_yield += 1
                    if num_since_yield > 100:
                        await asyncio.sleep(0)
                        num_since_yield = 0
                    offset = message.offset
                    acking = acks_enabled_for(message.topic)
                    # Between a rebalance and its seek to committed offsets (flow resumes
                    # before it) the order of the last generation no longer holds: deliver
                    # everything (a redelivery after the seek is harmless; a drop is not).
                    ordered = acking and order.generation == self.app.consumer_generation_id
                    if ordered:
                        verdict = order.verdict(tp, offset, time.monotonic())
                        if verdict is Verdict.SEEK:
                            expected = order.next[tp]
                            log.warning(
                                "offset %d of %s came before %d (a fetch from before the "
                                "last seek); reading again from %d",
                                offset,
                                tp,
                                expected,
                                expected,
                            )
                            await _seek_back(self, tp, expected)
                        if verdict is not Verdict.DELIVER:
                            continue
                    elif not acking:
                        r_offset = get_read_offset(tp)
                        if r_offset is not None and offset < r_offset:
                            continue
                    if commit_every is not None and self._n_acked >= commit_every:
                        self._n_acked = 0
                        await self.commit()
                    if ordered and offset > order.next.get(tp, offset):
                        expected = order.next[tp]
                        if await _still_in_log(self, tp, expected):
                            order.gap_since[tp] = (expected, time.monotonic())
                            await _seek_back(self, tp, expected)
                            continue
                        _read_past_hole(self, tp, expected, offset)
                    delivery = callback(message)
                    results = await self.wait_first(delivery, self.suspend_flow.wait())
                    set_read_offset(tp, offset)
                    if ordered and delivery in results.done:
                        order.delivered(tp, offset)
                unset_flag(faust_consumer.CONSUMER_FETCHING)
    except self.consumer_stopped_errors:
        if self.transport.app.should_stop:
            self.log.info("Broker stopped consumer, shutting down...")
            return
        raise
    except asyncio.CancelledError:
        if self.transport.app.should_stop:
            self.log.info("Consumer shutting down for user cancel.")
            return
        raise
    except Exception as exc:
        self.log.exception("Drain messages raised: %r", exc)
        raise
    finally:
        unset_flag(faust_consumer.CONSUMER_FETCHING)


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
        "_drain_messages": _drain_messages,
    }
    for name, function in patches.items():
        setattr(faust_consumer.Consumer, name, function)
    setattr(faust_aiokafka.AIOKafkaConsumerThread, "_highwaters", _highwaters)  # noqa: B010
