"""The internal record between stages: items framed once, in order, under the size limit."""

from __future__ import annotations

import doctest

import orjson
from hypothesis import given
from hypothesis import strategies as st

from streams import records

ITEMS = st.lists(
    st.dictionaries(
        st.text(max_size=8), st.text(max_size=20_000) | st.integers(-(2**63), 2**63 - 1), max_size=3
    ),
    max_size=60,
)


@given(ITEMS, st.none() | st.floats(min_value=0, max_value=2e9))
def test_framed_items_come_back_in_order_in_records_under_the_limit(
    items: list[dict[str, object]], sent_at: float | None
) -> None:
    raw = [orjson.dumps(item) for item in items]
    framed = records.frame(raw, sent_at)
    assert [item for value in framed for item in records.parse(value)] == items
    biggest = max((len(r) for r in raw), default=0)
    assert all(len(value) <= records.RECORD_BYTES + biggest + 64 for value in framed)
    assert all(not records.is_tick(value) for value in framed)


def test_a_tick_is_a_record_without_items() -> None:
    value = records.tick(1.5)
    assert records.is_tick(value) and records.parse(value) == []


def test_the_module_examples_hold() -> None:
    assert doctest.testmod(records).failed == 0


def test_items_are_framed_per_key_in_order_and_each_key_keeps_its_own_order() -> None:
    pairs = [("Z1", b'{"a":1}'), ("Z0", b'{"b":2}'), ("Z1", b'{"c":3}')]
    framed = records.frame_by_key(pairs, sent_at=1.5)
    assert [key for key, _ in framed] == ["Z1", "Z0"]
    assert [records.parse(value) for _, value in framed] == [[{"a": 1}, {"c": 3}], [{"b": 2}]]
    assert records.frame_by_key([]) == []
