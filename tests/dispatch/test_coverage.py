"""Coverage state against a brute-force count; move-up and return suggestions."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dispatch import CoverageState, UnitSite, suggest_move_ups, suggest_returns


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.lists(st.floats(0, 1000), min_size=6, max_size=6), min_size=1, max_size=4),
    st.lists(st.tuples(st.integers(0, 3), st.booleans()), max_size=8),
)
def test_incremental_counts_match_brute_force(
    times: list[list[float]], units: list[tuple[int, bool]]
) -> None:
    sites = {f"S{i}": np.array(t) for i, t in enumerate(times)}
    cov = CoverageState(sites, {"ambulance": 300.0})
    kept: dict[str, str] = {}
    for k, (site_i, keep) in enumerate(units):
        site = f"S{site_i % len(times)}"
        cov.add(UnitSite(f"U{k}", "ambulance", site))
        kept[f"U{k}"] = site
        if not keep:
            cov.remove(f"U{k}")
            del kept[f"U{k}"]
    reach = [sites[s] <= 300.0 for s in kept.values()]
    covered = np.any(reach, axis=0) if reach else np.zeros(6, bool)
    assert cov.covered_share("ambulance") == pytest.approx(covered.mean())
    for uid in kept:
        others = [sites[s] <= 300.0 for u, s in kept.items() if u != uid]
        rest = np.any(others, axis=0) if others else np.zeros(6, bool)
        assert cov.loss_if_removed(uid) == pytest.approx((covered & ~rest).mean())
        # expected cover with each unit busy w.p. q: 1 - q^k per point (MEXCLP)
        q = 0.3
        k_all = np.sum(reach, axis=0) if reach else np.zeros(6)
        k_rest = np.sum(others, axis=0) if others else np.zeros(6)
        drop = ((1 - q**k_all) - (1 - q**k_rest)).mean()
        assert cov.loss_if_removed(uid, busy_fraction=q) == pytest.approx(drop)


def line_city() -> CoverageState:
    """Four sites along a line, each reaching its own quarter of 8 points."""
    t = {f"S{i}": np.where(np.arange(8) // 2 == i, 100.0, 900.0) for i in range(4)}
    return CoverageState(t, {"ambulance": 300.0})


def test_move_up_fills_the_hole_from_a_doubly_covered_site() -> None:
    cov = line_city()
    for uid, site in [("A", "S0"), ("B", "S0"), ("C", "S1"), ("D", "S2")]:
        cov.add(UnitSite(uid, "ambulance", site))
    districts = {"west": np.arange(0, 4), "east": np.arange(4, 8)}
    moves = suggest_move_ups(cov, "ambulance", districts, min_share=0.75)
    assert len(moves) == 1
    m = moves[0]
    assert (m.to_site, m.district) == ("S3", "east")
    assert m.unit_id in ("A", "B")
    assert m.loss_share == 0.0
    assert m.gain_share == pytest.approx(0.25)
    assert cov.site_of(m.unit_id) == UnitSite(m.unit_id, "ambulance", "S0")  # unchanged


def test_no_move_up_when_it_would_open_a_bigger_hole() -> None:
    cov = line_city()
    for uid, site in [("A", "S0"), ("C", "S1"), ("D", "S2")]:
        cov.add(UnitSite(uid, "ambulance", site))
    districts = {"west": np.arange(0, 4), "east": np.arange(4, 8)}
    assert suggest_move_ups(cov, "ambulance", districts, min_share=0.75) == []


def test_posted_unit_returns_home_when_home_needs_it_more() -> None:
    cov = line_city()
    cov.add(UnitSite("A", "ambulance", "S1"))  # A's home is S0, posted to S1
    cov.add(UnitSite("C", "ambulance", "S1"))
    back = suggest_returns(cov, {"A": "S0", "C": "S1"})
    assert [(m.unit_id, m.to_site) for m in back] == [("A", "S0")]


def _loss_brute(cov: CoverageState, site: str, kind: str, q: float) -> float:
    """The expected-coverage loss recomputed from scratch (no cache, boolean masks)."""
    reach = cov.site_times[site] <= cov.within_s[kind]
    k = np.zeros(cov.n_points)
    for u in cov.units():
        if u.kind == kind:
            k += cov.site_times[u.site_id] <= cov.within_s[kind]
    if q <= 0.0:
        return float(cov.weights[(k == 1) & reach].sum())
    return float(np.sum(cov.weights[reach] * q ** (k[reach] - 1.0) * (1.0 - q)))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.lists(st.floats(0, 1000), min_size=8, max_size=8), min_size=1, max_size=4),
    st.lists(st.tuples(st.integers(0, 3), st.booleans(), st.sampled_from([0.0, 0.4])), max_size=10),
)
def test_remembered_loss_matches_a_fresh_computation(
    times: list[list[float]], steps: list[tuple[int, bool, float]]
) -> None:
    sites = {f"S{i}": np.array(t) for i, t in enumerate(times)}
    cov = CoverageState(sites, {"ambulance": 300.0, "engine": 250.0})
    for k, (site_i, add, q) in enumerate(steps):
        kind = "ambulance" if k % 3 else "engine"
        if add or not cov.unit_ids():
            cov.add(UnitSite(f"U{k}", kind, f"S{site_i % len(times)}"))
        else:
            cov.remove(sorted(cov.unit_ids())[site_i % len(cov.unit_ids())])
        for u in cov.units():  # asked twice: the second answer comes from the memo
            for _ in range(2):
                assert cov.loss_if_removed(u.unit_id, q) == _loss_brute(cov, u.site_id, u.kind, q)


def test_version_counts_changes() -> None:
    cov = CoverageState({"S": np.array([10.0, 500.0])}, {"ambulance": 300.0})
    v0 = cov.version
    cov.add(UnitSite("U", "ambulance", "S"))
    assert cov.version > v0
    v1 = cov.version
    cov.remove("nobody")
    assert cov.version == v1
    cov.remove("U")
    assert cov.version > v1


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.lists(st.floats(0, 1000), min_size=8, max_size=8), min_size=2, max_size=4),
    st.lists(st.tuples(st.integers(0, 5), st.integers(0, 3)), min_size=1, max_size=12),
)
def test_losses_stay_exact_when_units_are_taken_and_put_back(
    times: list[list[float]], steps: list[tuple[int, int]]
) -> None:
    """Take units and put them back (same or another site, any order), as a decision does."""
    sites = {f"S{i}": np.array(t) for i, t in enumerate(times)}
    cov = CoverageState(sites, {"ambulance": 300.0})
    for i in range(6):
        cov.add(UnitSite(f"U{i}", "ambulance", f"S{i % len(times)}"))
    taken: list[UnitSite] = []
    for who, where in steps:
        site = cov.site_of(f"U{who}")
        if site is not None:
            taken.append(site)
            cov.remove(site.unit_id)
        elif taken:
            back = taken.pop() if where % 2 else taken.pop(0)
            moved = where == 3
            cov.add(UnitSite(back.unit_id, back.kind, f"S{where % len(times)}") if moved else back)
        for u in cov.units():
            for q in (0.0, 0.4):
                assert cov.loss_if_removed(u.unit_id, q) == _loss_brute(cov, u.site_id, u.kind, q)
