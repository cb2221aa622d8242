"""The call → emergency room part of the golden-time benchmark: both rules meet the same
patients and the same emergency rooms; a transfer or a refusal only ever adds time; the
figures are deterministic for a seed (no timing is asserted)."""

from __future__ import annotations

import pytest

from bench.er_arrival import REFUSAL_S, TRANSFER_S, TransportLeg, call_to_er
from bench.golden_time import build_world, draw_incidents, simulate
from geo import load_city


def legs(n: int, node: int, every_s: float = 60.0) -> list[TransportLeg]:
    return [TransportLeg(i * every_s, node, 1200.0, 300.0, "cardiac_arrest", i) for i in range(n)]


def test_a_cardiac_arrest_by_the_nearest_er_is_transferred_under_the_nearest_rule() -> None:
    city = load_city(None)  # one ER of each designation: the small one is DEMO-ER3
    small = next(f for f in city.facilities if f.id == "DEMO-ER3")
    node = city.roads.snap(small.lon, small.lat).node
    out = call_to_er(city, city.roads, legs(1, node), seed=1)
    assert out["er_transfers"] == {"ours": 0, "nearest_er": 1}
    ours, nearest = out["call_to_er_p50_s"]["ours"], out["call_to_er_p50_s"]["nearest_er"]
    assert nearest > ours and nearest - out["call_to_first_er_p50_s"]["nearest_er"] >= TRANSFER_S


def test_a_crowd_of_patients_fills_the_nearest_and_the_rules_part_ways() -> None:
    city = load_city(None)
    small = next(f for f in city.facilities if f.id == "DEMO-ER3")
    node = city.roads.snap(small.lon, small.lat).node
    many = [TransportLeg(i * 30.0, node, 900.0, 300.0, "other", i) for i in range(60)]
    out = call_to_er(city, city.roads, many, seed=2)
    assert out["er_transports"] == 60
    assert out["er_sent_to_known_full"]["ours"] <= out["er_sent_to_known_full"]["nearest_er"]
    assert out["er_refusals"]["nearest_er"] > 0
    # ours follows each ER report over the ambulances on their way; the nearest rule never
    assert out["er_diversions"]["ours"] > 0 == out["er_diversions"]["nearest_er"]
    first, full = out["call_to_first_er_p90_s"], out["call_to_er_p90_s"]
    assert full["nearest_er"] >= first["nearest_er"]  # refusals only add time
    assert REFUSAL_S > 0


@pytest.mark.slow
def test_the_benchmark_reports_call_to_er_for_both_rules() -> None:
    w = build_world(load_city(None))
    out = simulate(w, draw_incidents(w, (10, 12), seed=7))
    for key in ("call_to_er_p50_s", "call_to_er_p90_s", "er_capacity_violations"):
        assert set(out[key]) == {"ours", "nearest_er"}
    assert out["er_transports"] > 0
    assert out["call_to_er_p50_s"]["ours"] >= out["call_to_scene_p50_s"]
    again = simulate(w, draw_incidents(w, (10, 12), seed=7))
    assert again["call_to_er_p90_s"] == out["call_to_er_p90_s"]
