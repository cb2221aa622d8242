"""JPEG frames as bytes: the check on ingest, and synthetic frames that carry a stamp.

The relay never decodes images; it only checks that a pushed frame looks like one JPEG
(start-of-image marker first, end-of-image marker at the end) and bounds its size.
Synthetic frames are real, decodable 8×8 grey baseline JPEGs padded with comment
segments to a chosen size; one comment carries a stamp (camera, sequence, send time)
so tests and the benchmark can measure source-to-viewer latency through the relay.
"""

from __future__ import annotations

import json
import struct
from typing import Any

from video_relay.errors import BadFrame

__all__ = ["check_jpeg", "read_stamp", "synthetic_jpeg"]

SOI = b"\xff\xd8"
EOI = b"\xff\xd9"
_STAMP_TAG = b"GTSTAMP "
_MAX_SEGMENT = 65533  # a segment's length field counts itself: 65535 - 2

# An 8×8 grey image: JFIF header, flat quantisation table, one-code Huffman tables
# (DC category 0, AC end-of-block), and a scan whose single block is "00" + padding.
_HEAD = (
    SOI
    + b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    + b"\xff\xdb\x00\x43\x00"
    + b"\x01" * 64
    + b"\xff\xc0\x00\x0b\x08\x00\x08\x00\x08\x01\x01\x11\x00"
    + b"\xff\xc4\x00\x14\x00\x01"
    + b"\x00" * 15
    + b"\x00"
    + b"\xff\xc4\x00\x14\x10\x01"
    + b"\x00" * 15
    + b"\x00"
)
_FILLER = bytes(range(251)) * 262  # no 0xFF byte, longer than one segment
_SCAN = b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00" + b"\x3f" + EOI


def check_jpeg(data: bytes, max_bytes: int) -> None:
    """Raise :class:`BadFrame` unless ``data`` is one plausible JPEG of at most ``max_bytes``."""
    if len(data) > max_bytes:
        raise BadFrame(f"frame of {len(data)} bytes exceeds {max_bytes}", too_large=True)
    if len(data) < 4 or not data.startswith(SOI) or data[2] != 0xFF:
        raise BadFrame("frame does not start with a JPEG start-of-image marker")
    if EOI not in data[-32:]:
        raise BadFrame("frame does not end with a JPEG end-of-image marker")


def _comment(payload: bytes) -> bytes:
    return b"\xff\xfe" + struct.pack(">H", len(payload) + 2) + payload


def synthetic_jpeg(stamp: dict[str, Any] | None = None, size_bytes: int = 0) -> bytes:
    """A decodable JPEG carrying ``stamp`` (JSON) and padded to about ``size_bytes``."""
    parts = [_HEAD]
    if stamp is not None:
        parts.append(_comment(_STAMP_TAG + json.dumps(stamp, separators=(",", ":")).encode()))
    length = sum(len(p) for p in parts) + len(_SCAN)
    # Filler bytes avoid 0xFF so that naive marker scanners are not fooled.
    while length + 4 < size_bytes:
        chunk = min(_MAX_SEGMENT - 2, size_bytes - length - 4)
        parts.append(_comment(_FILLER[:chunk]))
        length += chunk + 4
    parts.append(_SCAN)
    return b"".join(parts)


def read_stamp(data: bytes) -> dict[str, Any] | None:
    """The stamp a synthetic frame carries, or None when it has none (any real JPEG)."""
    offset = 2
    while offset + 4 <= len(data) and data[offset] == 0xFF:
        marker = data[offset + 1]
        if marker == 0xDA:  # start of scan: no more header segments
            return None
        (length,) = struct.unpack_from(">H", data, offset + 2)
        body = data[offset + 4 : offset + 2 + length]
        if marker == 0xFE and body.startswith(_STAMP_TAG):
            try:
                value = json.loads(body[len(_STAMP_TAG) :])
            except ValueError:
                return None
            return value if isinstance(value, dict) else None
        offset += 2 + length
    return None
