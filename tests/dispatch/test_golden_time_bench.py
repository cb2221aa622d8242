"""The golden-time benchmark runs end to end on the built-in city, with either travel model."""

from __future__ import annotations

import pytest

from bench.golden_time import build_world, draw_incidents, simulate
from geo import TravelModel, load_city


@pytest.mark.slow
def test_one_hour_on_the_builtin_city() -> None:
    w = build_world(load_city(None))
    incidents = draw_incidents(w, (10, 11), seed=7)
    # the demo's pace: about 1,713 dispatches a day, 5 % of them in the 10–11 h hour
    assert 50 < len(incidents) < 130
    out = simulate(w, incidents, ablation=True)
    assert out["incidents"] == len(incidents)
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


@pytest.mark.slow
def test_calibrated_model_adds_the_last_stretch_and_is_slower_by_day() -> None:
    city = load_city(None)
    reference = build_world(city)
    calibrated = build_world(city, TravelModel())
    assert calibrated.graphs[3] is not calibrated.graphs[18]  # night and evening peak
    ref = simulate(reference, draw_incidents(reference, (12, 14), seed=3))
    incidents = draw_incidents(calibrated, (12, 14), seed=3, snap_m=[150.0])
    assert all(i.last_s == pytest.approx(TravelModel().last_stretch_s(150.0)) for i in incidents)
    cal = simulate(calibrated, incidents)
    assert cal["mean_response_s"]["closest_road"] > ref["mean_response_s"]["closest_road"]
