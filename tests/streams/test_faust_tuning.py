"""The patched Faust commit bookkeeping never commits past an unprocessed offset."""

from __future__ import annotations

from collections import defaultdict
from types import SimpleNamespace
from typing import Any

from faust.types import TP
from intervaltree import IntervalTree

from streams.faust_tuning import _ack, _new_offset

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
