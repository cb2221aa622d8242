"""Per-viewer caps: frame rate and bandwidth hold over any window."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from video_relay.pacing import Pacer


def drive(pacer: Pacer, arrivals: list[tuple[float, int]]) -> list[tuple[float, int]]:
    """Send each arriving frame as soon as the pacer allows (newest wins while waiting)."""
    sent: list[tuple[float, int]] = []
    free_at = 0.0
    for at, size in sorted(arrivals):
        if at < free_at:
            continue  # a newer frame replaces this one while we wait
        now = at + pacer.delay_s(at)
        free_at = now
        pacer.sent(now, size)
        sent.append((now, size))
    return sent


def test_uncapped_stream_at_source_rate_is_not_delayed() -> None:
    pacer = Pacer(max_fps=25, max_bps=10**9)
    for n in range(100):
        assert pacer.delay_s(n / 15) == 0.0
        pacer.sent(n / 15, 30_000)


def test_rate_cap_spaces_frames() -> None:
    pacer = Pacer(max_fps=10, max_bps=10**9)
    pacer.sent(0.0, 1000)
    pacer.sent(0.0, 1000)  # a burst of two after idling is allowed
    assert pacer.delay_s(0.0) == pytest.approx(0.1)
    assert pacer.delay_s(0.05) == pytest.approx(0.05)


def test_bandwidth_cap_makes_a_large_frame_wait() -> None:
    pacer = Pacer(max_fps=100, max_bps=100_000, burst_s=0.5)
    pacer.sent(0.0, 150_000)  # bucket of 50 kB goes 100 kB into debt
    assert pacer.delay_s(0.0) == pytest.approx(1.0)
    assert pacer.delay_s(1.0) == 0.0


def test_caps_must_be_positive() -> None:
    with pytest.raises(ValueError):
        Pacer(0, 1)


@given(
    fps=st.floats(1, 30),
    bps=st.floats(10_000, 5_000_000),
    arrivals=st.lists(st.tuples(st.floats(0, 20), st.integers(100, 200_000)), max_size=300),
    window=st.floats(0.1, 5),
)
@settings(max_examples=150)
def test_no_window_exceeds_the_caps(
    fps: float, bps: float, arrivals: list[tuple[float, int]], window: float
) -> None:
    pacer = Pacer(fps, bps, burst_s=0.5)
    sent = drive(pacer, arrivals)
    times = [t for t, _ in sent]
    assert times == sorted(times)
    for i, (start, _) in enumerate(sent):
        inside = [(t, s) for t, s in sent[i:] if t < start + window]
        assert len(inside) <= window * fps + 2 + 1e-9
        largest = max(s for _, s in inside)
        assert sum(s for _, s in inside) <= window * bps + 0.5 * bps + largest + 1e-6
