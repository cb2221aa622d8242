"""Recommendation: plans filled, breach flags, substitution, coverage-aware choice."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dispatch import (
    INCIDENT_TYPES,
    Candidate,
    CoverageState,
    Policy,
    UnitSite,
    load_run_cards,
    recommend,
)

BOOK = load_run_cards()
CLOSEST = Policy(coverage_aware=False)


def pool(per_kind: int = 4) -> list[Candidate]:
    """Units of every kind, ETAs 100, 200, 300 … s per kind."""
    kinds = ["engine", "ladder", "ambulance", "rescue", "hazmat", "command"]
    return [
        Candidate(f"{k[0].upper()}-{i}", k, 100.0 * (i + 1), 1000.0 * (i + 1))
        for k in kinds
        for i in range(per_kind)
    ]


@pytest.mark.parametrize("incident_type", INCIDENT_TYPES)
@pytest.mark.parametrize("priority", [1, 3, 5])
def test_plan_is_filled_per_type_with_the_closest_units(incident_type: str, priority: int) -> None:
    card = BOOK.card_for(incident_type, priority)
    rec = recommend(card, pool(), policy=CLOSEST)
    assert rec.filled
    assert len(set(rec.unit_ids)) == len(rec.unit_ids)
    for kind, n in card.units:
        chosen = [p for p in rec.units if p.kind == kind and p.substitute_for is None]
        assert len(chosen) == n
        assert sorted(p.eta_s for p in chosen) == [100.0 * (i + 1) for i in range(n)]
    assert rec.first_eta_s == 100.0
    assert not rec.breach
    assert sum(p.first_responder for p in rec.units) == 1


def test_structure_fire_card_fills_engines_ladder_rescue_ambulance_command() -> None:
    rec = recommend(BOOK.card_for("fire", 1), pool(), policy=CLOSEST)
    assert rec.unit_ids == ("E-0", "E-1", "E-2", "L-0", "R-0", "A-0", "C-0")
    assert all(p.within_golden_time for p in rec.units)


def test_cardiac_arrest_without_ambulance_in_4_min_gets_engine_first_and_breach() -> None:
    card = BOOK.card_for("cardiac_arrest", 1)
    cands = [
        Candidate("A-far", "ambulance", 420.0, 3500.0),
        Candidate("E-near", "engine", 300.0, 2400.0),
        Candidate("E-far", "engine", 500.0, 4000.0),
    ]
    rec = recommend(card, cands, policy=CLOSEST)
    first = next(p for p in rec.units if p.first_responder)
    assert first.unit_id == "E-near"
    assert first.kind == "engine"
    assert rec.breach
    assert rec.breach_s == pytest.approx(60.0)
    assert rec.first_eta_s == 300.0
    assert not next(p for p in rec.units if p.unit_id == "A-far").within_golden_time
    assert any("breach" in r for r in rec.reasons)


def test_low_priority_cardiac_arrest_adds_engine_as_substitute_first_responder() -> None:
    card = BOOK.card_for("cardiac_arrest", 5)  # card: ambulance only
    assert card.count("engine") == 0
    cands = [Candidate("A-1", "ambulance", 400.0), Candidate("E-1", "engine", 150.0)]
    rec = recommend(card, cands, policy=CLOSEST)
    engine = next(p for p in rec.units if p.unit_id == "E-1")
    assert engine.first_responder
    assert engine.substitute_for == "ambulance"
    assert not rec.breach
    assert rec.first_eta_s == 150.0
    assert any("first responder" in r for r in rec.reasons)


def test_no_substitute_when_it_does_not_arrive_clearly_earlier() -> None:
    card = BOOK.card_for("medical", 3)
    cands = [Candidate("A-1", "ambulance", 600.0), Candidate("E-1", "engine", 590.0)]
    rec = recommend(card, cands, policy=CLOSEST)
    assert rec.unit_ids == ("A-1",)
    assert rec.breach
    assert rec.breach_s == pytest.approx(120.0)


def test_missing_kind_is_substituted_or_reported_unfilled() -> None:
    card = BOOK.card_for("fire", 1)
    cands = [c for c in pool() if c.kind not in ("ladder", "command")]
    rec = recommend(card, cands, policy=CLOSEST)
    stand_in = [p for p in rec.units if p.substitute_for == "ladder"]
    assert len(stand_in) == 1
    assert stand_in[0].kind == "engine"
    assert rec.unfilled == (("command", 1),)
    assert not rec.filled
    assert any("command" in r for r in rec.reasons)


def test_elapsed_time_shrinks_the_budget() -> None:
    card = BOOK.card_for("fire", 4)
    rec = recommend(card, [Candidate("E-1", "engine", 400.0)], policy=CLOSEST, elapsed_s=60)
    assert rec.breach
    assert rec.breach_s == pytest.approx(40.0)


def test_nothing_available_is_an_infinite_breach() -> None:
    rec = recommend(BOOK.card_for("medical", 2), [], policy=CLOSEST)
    assert rec.units == ()
    assert rec.breach
    assert math.isinf(rec.breach_s)
    assert rec.first_eta_s is None


def two_site_coverage() -> CoverageState:
    """Sites A and B; 10 demand points. A alone covers 0-4; B and C both cover 5-9."""
    times = {
        "A": np.array([100.0] * 5 + [900.0] * 5),
        "B": np.array([900.0] * 5 + [100.0] * 5),
        "C": np.array([900.0] * 5 + [100.0] * 5),
    }
    cov = CoverageState(times, {"ambulance": 480.0})
    for unit, site in [("A-1", "A"), ("B-1", "B"), ("C-1", "C")]:
        cov.add(UnitSite(unit, "ambulance", site))
    return cov


def test_coverage_aware_choice_between_near_equal_candidates() -> None:
    cov = two_site_coverage()
    assert cov.loss_if_removed("A-1") == pytest.approx(0.5)
    assert cov.loss_if_removed("B-1") == 0.0
    card = BOOK.card_for("medical", 2)
    cands = [Candidate("A-1", "ambulance", 200.0), Candidate("B-1", "ambulance", 240.0)]
    rec = recommend(card, cands, coverage=cov, policy=Policy())
    assert rec.unit_ids == ("B-1",)
    assert not rec.breach
    assert any("preferred over A-1" in r for r in rec.reasons)
    # the coverage state is left as it was
    assert cov.covered_share("ambulance") == 1.0
    assert cov.loss_if_removed("A-1") == pytest.approx(0.5)
    # plain closest-by-ETA ignores coverage
    assert recommend(card, cands, coverage=cov, policy=CLOSEST).unit_ids == ("A-1",)


def test_coverage_never_trades_the_golden_time_away() -> None:
    cov = two_site_coverage()
    card = BOOK.card_for("medical", 2)
    cands = [Candidate("A-1", "ambulance", 450.0), Candidate("B-1", "ambulance", 500.0)]
    rec = recommend(card, cands, coverage=cov, policy=Policy())
    assert rec.unit_ids == ("A-1",)  # B-1 would miss the 480 s target


def test_lost_low_priority_call_spares_coverage_but_urgent_call_does_not() -> None:
    cov = two_site_coverage()
    cands = [Candidate("A-1", "ambulance", 600.0), Candidate("B-1", "ambulance", 680.0)]
    low = recommend(BOOK.card_for("medical", 4), cands, coverage=cov, policy=Policy())
    urgent = recommend(BOOK.card_for("medical", 1), cands, coverage=cov, policy=Policy())
    assert low.unit_ids == ("B-1",)
    assert urgent.unit_ids[0] == "A-1"


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["engine", "ambulance", "ladder", "rescue"]),
            st.floats(min_value=0, max_value=3000, allow_nan=False),
        ),
        max_size=30,
    ),
    st.sampled_from(INCIDENT_TYPES),
    st.integers(min_value=1, max_value=5),
)
def test_recommendation_invariants(
    units: list[tuple[str, float]], incident_type: str, priority: int
) -> None:
    cands = [Candidate(f"U-{i}", kind, eta) for i, (kind, eta) in enumerate(units)]
    card = BOOK.card_for(incident_type, priority)
    rec = recommend(card, cands, policy=CLOSEST)
    assert len(set(rec.unit_ids)) == len(rec.unit_ids)
    assert rec.breach == (rec.breach_s > 0)
    assert len(rec.units) <= card.total_units + 1
    if rec.first_eta_s is not None:
        assert rec.breach_s == pytest.approx(max(0.0, rec.first_eta_s - card.golden_time_s))


def engine_coverage() -> CoverageState:
    """E-sole alone covers half the city; E-spare's area is also covered by E-twin."""
    times = {
        "A": np.array([100.0] * 5 + [900.0] * 5),
        "B": np.array([900.0] * 5 + [100.0] * 5),
    }
    cov = CoverageState(times, {"engine": 300.0})
    for unit, site in [("E-sole", "A"), ("E-spare", "B"), ("E-twin", "B")]:
        cov.add(UnitSite(unit, "engine", site))
    return cov


def test_substitute_that_would_uncover_the_city_stays_home() -> None:
    card = BOOK.card_for("medical", 2)
    cands = [
        Candidate("A-1", "ambulance", 600.0),
        Candidate("E-sole", "engine", 150.0),
        Candidate("E-spare", "engine", 250.0),
    ]
    rec = recommend(card, cands, coverage=engine_coverage(), policy=Policy())
    assert rec.unit_ids == ("A-1", "E-spare")
    assert not rec.breach
    only_sole = [Candidate("A-1", "ambulance", 600.0), Candidate("E-sole", "engine", 150.0)]
    rec = recommend(card, only_sole, coverage=engine_coverage(), policy=Policy())
    assert rec.unit_ids == ("A-1",)  # E-sole alone covers half the city: not spent
    assert rec.breach


def test_no_substitute_sent_when_it_is_late_too_by_default() -> None:
    card = BOOK.card_for("medical", 2)
    cands = [Candidate("A-1", "ambulance", 900.0), Candidate("E-1", "engine", 600.0)]
    assert recommend(card, cands, policy=CLOSEST).unit_ids == ("A-1",)
    eager = Policy(coverage_aware=False, substitute_when_lost=True)
    assert recommend(card, cands, policy=eager).unit_ids == ("A-1", "E-1")
