"""The golden-time benchmark runs end to end on the built-in city."""

from __future__ import annotations

import pytest

from bench.golden_time import build_world, draw_incidents, simulate
from geo import load_city


@pytest.mark.slow
def test_one_hour_on_the_builtin_city() -> None:
    w = build_world(load_city(None))
    incidents = draw_incidents(w, (10, 11), seed=7)
    out = simulate(w, incidents, ablation=True)
    assert out["incidents"] == len(incidents) > 100
    for name in ("closest_straight", "closest_road", "ours", "ours_with_move_ups"):
        assert 0.0 <= out["late_fraction"][name] <= 1.0
        assert out["mean_response_s"][name] > 60.0  # call processing alone is 60 s
    assert out["late_fraction"]["closest_road"] > 0
    assert out["late_ratio"] == pytest.approx(
        out["late_fraction"]["ours"] / out["late_fraction"]["closest_road"], rel=1e-3
    )
    # same seed, same incidents: the simulation is deterministic
    again = simulate(w, draw_incidents(w, (10, 11), seed=7))
    assert again["late_fraction"]["ours"] == out["late_fraction"]["ours"]
