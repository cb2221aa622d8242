"""The internal record between stages: ``{"items": [item, …]}``, one JSON object per record.

Intake sends evidence and unit reports to the zone in it; the zone sends incident states,
unit reports and commands to the dispatch and follow-up stages in it; the dispatch stage
sends lifecycle feedback back to the zone in it. Items are serialised once, by whoever
makes them, and framed here without being parsed again; a record carries at most about
``RECORD_BYTES`` of items (inputs may hold long free text, and a record over the broker's
1 MB limit could never be sent). A zone tick is the one record without items.

>>> frame([b'{"a":1}', b'{"b":2}'])
[b'{"items":[{"a":1},{"b":2}]}']
>>> parse(b'{"items":[{"a":1}],"t_in":1.5}')
[{'a': 1}]
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson

__all__ = ["RECORD_BYTES", "chunks", "frame", "frame_by_key", "parse", "tick"]

RECORD_BYTES = 256 * 1024


def chunks(items: list[bytes], max_bytes: int) -> list[list[bytes]]:
    """Serialised items in order, cut so that each chunk stays near ``max_bytes``."""
    out: list[list[bytes]] = []
    current: list[bytes] = []
    size = 0
    for item in items:
        if current and size + len(item) > max_bytes:
            out.append(current)
            current, size = [], 0
        current.append(item)
        size += len(item) + 1
    if current:
        out.append(current)
    return out


def frame(items: list[bytes], sent_at: float | None = None) -> list[bytes]:
    """Records carrying ``items`` (serialised JSON objects) in order; ``sent_at`` (epoch
    seconds) marks when intake forwarded them."""
    tail = b"]}" if sent_at is None else b'],"t_in":' + orjson.dumps(sent_at) + b"}"
    return [b'{"items":[' + b",".join(chunk) + tail for chunk in chunks(items, RECORD_BYTES)]


def frame_by_key(
    items: Iterable[tuple[str, bytes]], sent_at: float | None = None
) -> list[tuple[str, bytes]]:
    """Records carrying ``(key, item)`` pairs, one run of records per key (each key's items
    in order), with their key: what goes to each zone, or back to each zone.

    >>> frame_by_key([("Z1", b'{"a":1}'), ("Z0", b'{"b":2}'), ("Z1", b'{"c":3}')])
    [('Z1', b'{"items":[{"a":1},{"c":3}]}'), ('Z0', b'{"items":[{"b":2}]}')]
    """
    groups: dict[str, list[bytes]] = {}
    for key, item in items:
        groups.setdefault(key, []).append(item)
    return [(key, value) for key, group in groups.items() for value in frame(group, sent_at)]


def parse(value: bytes) -> list[dict[str, Any]]:
    """The items of a record (a tick has none)."""
    items = orjson.loads(value).get("items", [])
    return items if isinstance(items, list) else []


def tick(at: float) -> bytes:
    """The record that asks the zone to age its incidents."""
    return orjson.dumps({"tick": at})


def is_tick(value: bytes) -> bool:
    """Whether a zone record is a tick."""
    return value.startswith(b'{"tick"')
