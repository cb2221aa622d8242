"""The patched Faust commit bookkeeping never commits past an unprocessed offset."""

from __future__ import annotations

from collections import defaultdict
from types import SimpleNamespace
from typing import Any

from faust.types import TP
from intervaltree import IntervalTree

from streams.transport.faust_tuning import GAP_PATIENCE_S, ReadOrder, Verdict, _ack, _new_offset

TP0 = TP("gt-evidence", 0)


def consumer(committed: int | None, acked: list[int]) -> Any:
    return SimpleNamespace(
        _acked=defaultdict(list, {TP0: list(acked)}),
        _acked_index=defaultdict(set, {TP0: set(acked)}),
        _gap=defaultdict(IntervalTree),
        _committed_offset=defaultdict(lambda: None, {TP0: committed}),
    )


def test_an_unprocessed_offset_right_after_the_committed_one_blocks_the_commit() -> None:
    # Kafka's committed offset is the next to read: 5 was never processed
    assert _new_offset(consumer(committed=5, acked=[6, 7]), TP0) is None


def test_consecutive_acks_from_the_committed_offset_are_committed() -> None:
    c = consumer(committed=5, acked=[7, 5, 6, 9])
    assert _new_offset(c, TP0) == 8
    assert c._acked[TP0] == [9]


def test_offsets_never_delivered_are_not_counted_as_acked() -> None:
    # Faust counted such "gaps" as acked; here records it dropped after a fetch, so the
    # commit must stop before them
    c = consumer(committed=5, acked=[5, 9])
    c._gap[TP0].addi(6, 9)
    assert _new_offset(c, TP0) == 6


def test_a_message_no_stream_took_is_not_acked() -> None:
    skipped = SimpleNamespace(tracked=False, acked=False)
    assert _ack(SimpleNamespace(), skipped) is False
    assert skipped.acked is False


def test_records_from_a_fetch_made_before_the_seek_are_read_again_in_order() -> None:
    # committed 100; a fetch from before the seek hands out 130, 131 first
    order = ReadOrder()
    order.reset(TP0, 100)
    assert order.verdict(TP0, 130, now=0.0) is Verdict.SEEK
    assert order.verdict(TP0, 131, now=0.1) is Verdict.SKIP  # one seek back is enough
    for offset in range(100, 132):  # then the log from 100 on
        assert order.verdict(TP0, offset, now=0.2) is Verdict.DELIVER
        order.delivered(TP0, offset)
    assert order.verdict(TP0, 131, now=0.3) is Verdict.DROP  # a redelivery


def test_a_seek_back_is_repeated_while_the_hole_lasts_and_a_real_hole_is_read_past() -> None:
    order = ReadOrder()
    order.reset(TP0, 5)
    assert order.verdict(TP0, 9, now=0.0) is Verdict.SEEK
    assert order.verdict(TP0, 9, now=1.5) is Verdict.SEEK
    assert order.verdict(TP0, 9, now=GAP_PATIENCE_S + 0.1) is Verdict.DELIVER


def test_a_partition_with_no_known_start_delivers_whatever_comes() -> None:
    order = ReadOrder()
    order.reset(TP0, None)
    assert order.verdict(TP0, 42, now=0.0) is Verdict.DELIVER


def test_the_installed_faust_is_the_release_the_patches_were_written_for() -> None:
    """Fails when faust-streaming is upgraded or a replaced upstream method changed: read the
    new upstream code, port the patches, then record the new digests."""
    from streams.transport.faust_tuning import UPSTREAM_DIGESTS, check_upstream, upstream_digests

    assert upstream_digests() == UPSTREAM_DIGESTS
    check_upstream()
