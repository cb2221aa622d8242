"""JPEG checks, stamps and the MJPEG parser: literals plus property tests."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from video_relay.errors import BadFrame, MjpegError
from video_relay.jpeg import check_jpeg, read_stamp, synthetic_jpeg
from video_relay.mjpeg import MjpegParser, boundary_from_content_type, encode_part

stamps = st.dictionaries(
    st.text(max_size=8), st.one_of(st.integers(), st.floats(allow_nan=False), st.text(max_size=20))
)


@given(stamp=stamps, size=st.integers(0, 200_000))
@settings(max_examples=60)
def test_synthetic_frames_carry_their_stamp_and_pass_the_check(stamp: dict, size: int) -> None:
    frame = synthetic_jpeg(stamp, size)
    assert read_stamp(frame) == stamp
    check_jpeg(frame, 10**6)
    assert len(frame) >= size - 4  # a comment segment takes at least 4 bytes
    # Padded to the size asked for, never far beyond it (the header and the stamp).
    assert len(frame) <= max(size, 300) + len(json.dumps(stamp)) + 20


def test_a_frame_without_stamp_has_none() -> None:
    assert read_stamp(synthetic_jpeg()) is None
    assert read_stamp(b"") is None


@pytest.mark.parametrize(
    ("data", "too_large"),
    [
        (b"", False),
        (b"GIF89a....", False),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 100, False),  # no end-of-image marker
        (synthetic_jpeg(size_bytes=5000), True),
    ],
)
def test_check_refuses_what_is_not_one_small_jpeg(data: bytes, too_large: bool) -> None:
    with pytest.raises(BadFrame) as info:
        check_jpeg(data, 4096)
    assert info.value.too_large is too_large


@given(st.binary(max_size=400))
def test_stamp_reader_never_crashes(data: bytes) -> None:
    read_stamp(b"\xff\xd8" + data)
    read_stamp(data)


@pytest.mark.parametrize(
    ("header", "boundary"),
    [
        ("multipart/x-mixed-replace; boundary=frame", "frame"),
        ('multipart/x-mixed-replace;boundary="--myboundary"', "--myboundary"),
        ("Multipart/X-Mixed-Replace; charset=x; Boundary=ab", "ab"),
    ],
)
def test_boundary_is_read_from_the_content_type(header: str, boundary: str) -> None:
    assert boundary_from_content_type(header) == boundary


@pytest.mark.parametrize(
    "header", ["image/jpeg", "multipart/x-mixed-replace", "", "multipart/x; boundary="]
)
def test_a_content_type_without_boundary_is_an_error(header: str) -> None:
    with pytest.raises(MjpegError):
        boundary_from_content_type(header)


frames_st = st.lists(
    st.builds(
        lambda n, size: synthetic_jpeg({"n": n}, size), st.integers(0, 999), st.integers(0, 3000)
    ),
    min_size=1,
    max_size=6,
)


@given(
    frames=frames_st,
    with_length=st.booleans(),
    cuts=st.lists(st.integers(1, 700), max_size=40),
    preamble=st.binary(max_size=30).filter(lambda b: b"--" not in b),
)
@settings(max_examples=80)
def test_parser_returns_the_frames_however_the_stream_is_cut(
    frames: list[bytes], with_length: bool, cuts: list[int], preamble: bytes
) -> None:
    body = preamble + b"".join(encode_part(f, "gtframe", with_length=with_length) for f in frames)
    body += b"--gtframe\r\n"  # the next part starts: the last one is complete
    parser = MjpegParser("gtframe", max_part_bytes=10_000)
    out: list[bytes] = []
    at = 0
    for cut in cuts:
        out += parser.feed(body[at : at + cut])
        at += cut
    out += parser.feed(body[at:])
    assert out == frames


def test_declared_double_dash_boundary_matches_either_spelling() -> None:
    frame = synthetic_jpeg({"n": 1})
    for written in ("--myboundary", "myboundary"):
        parser = MjpegParser("--myboundary", 10_000)
        assert parser.feed(encode_part(frame, written)) == [frame]


@given(st.binary(max_size=3000))
def test_parser_on_garbage_stays_bounded_or_fails_cleanly(data: bytes) -> None:
    parser = MjpegParser("gtframe", max_part_bytes=1024)
    try:
        parser.feed(b"--gtframe\r\n" + data)
        parser.feed(data)
    except MjpegError:
        return
    assert parser.buffered_bytes <= 1024 + 4096


def test_an_oversized_part_is_refused() -> None:
    parser = MjpegParser("b", max_part_bytes=1024)
    with pytest.raises(MjpegError):
        parser.feed(encode_part(synthetic_jpeg(size_bytes=5000), "b"))
    parser = MjpegParser("b", max_part_bytes=1024)
    with pytest.raises(MjpegError):
        parser.feed(encode_part(synthetic_jpeg(size_bytes=9000), "b", with_length=False))
