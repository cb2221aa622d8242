"""Run cards: every type × priority present, cited golden times, scaling and escalation."""

from __future__ import annotations

import contextlib
import tomllib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dispatch import INCIDENT_TYPES, RunCardError, load_run_cards, parse_run_cards

BOOK = load_run_cards()
TOML = Path(__file__).parents[2] / "dispatch" / "run_cards.toml"


@pytest.mark.parametrize("incident_type", INCIDENT_TYPES)
@pytest.mark.parametrize("priority", [1, 2, 3, 4, 5])
def test_every_type_and_priority_has_a_card_with_a_clock_stopper(
    incident_type: str, priority: int
) -> None:
    card = BOOK.card_for(incident_type, priority)
    assert card.total_units >= 1
    kinds = {k for k, _ in card.units}
    stands_in = {s for k in kinds for s in card.substitutes_for(k)}
    assert (kinds | stands_in) & card.clock_stoppers, "someone on the card must stop the clock"


def test_golden_times_are_the_cited_defaults() -> None:
    assert BOOK.golden_time_s("fire") == 420  # 소방청 7-minute goal
    assert BOOK.golden_time_s("cardiac_arrest") == 240  # AHA 4-6 min
    assert BOOK.types["fire"].source == "KFA-7"
    assert BOOK.types["cardiac_arrest"].source == "AHA"


def test_structure_fire_card_needs_engines_ladder_rescue_ambulance() -> None:
    card = BOOK.card_for("fire", 1)
    assert card.count("engine") == 3
    assert card.count("ladder") == 1
    assert card.count("rescue") == 1
    assert card.count("ambulance") == 1


def test_cardiac_arrest_sends_ambulance_and_engine_and_allows_engine_substitute() -> None:
    card = BOOK.card_for("cardiac_arrest", 1)
    assert card.count("ambulance") == 1
    assert card.count("engine") == 1
    assert "engine" in card.substitutes_for("ambulance")


def test_mass_casualty_scales_ambulances_and_adds_command() -> None:
    card = BOOK.card_for("traffic", 2, patients=7)
    assert card.count("ambulance") == 7
    assert card.count("command") == 1
    assert any("7 patients" in n for n in card.notes)
    assert BOOK.card_for("traffic", 2, patients=500).count("ambulance") == 30


def test_alarm_level_adds_units() -> None:
    base = BOOK.card_for("fire", 2)
    second = BOOK.card_for("fire", 2, alarm_level=2)
    assert second.count("engine") == base.count("engine") + 6
    assert second.alarm_level == 2
    with pytest.raises(RunCardError, match="alarm level 9"):
        BOOK.card_for("fire", 2, alarm_level=9)


def test_unknown_type_falls_back_to_other_with_a_note() -> None:
    card = BOOK.card_for("alien_landing", 3)
    assert card.incident_type == "other"
    assert "alien_landing" in card.notes[0]


def test_bad_priority_and_bad_config_are_rejected() -> None:
    with pytest.raises(RunCardError):
        BOOK.card_for("fire", 0)
    data = tomllib.loads(TOML.read_text("utf-8"))
    data["types"]["fire"]["cards"]["1"] = {"tank": 1}
    with pytest.raises(RunCardError, match="unknown unit kind 'tank'"):
        parse_run_cards(data)
    data = tomllib.loads(TOML.read_text("utf-8"))
    del data["types"]["flood"]
    with pytest.raises(RunCardError, match="flood"):
        parse_run_cards(data)


@given(st.integers(min_value=0, max_value=10_000))
def test_ambulances_never_below_card_and_never_above_cap(patients: int) -> None:
    card = BOOK.card_for("medical", 3, patients=patients)
    assert 1 <= card.count("ambulance") <= max(1, BOOK.mass_casualty.max_ambulances)
    assert card.count("ambulance") >= min(patients, BOOK.mass_casualty.max_ambulances)


def test_automatic_assignment_priorities_are_configured() -> None:
    assert BOOK.is_automatic(1)
    assert not BOOK.is_automatic(3)
    data = tomllib.loads(TOML.read_text("utf-8"))
    data["assignment"]["automatic_priorities"] = [0]
    with pytest.raises(RunCardError, match="automatic_priorities"):
        parse_run_cards(data)


json_like = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 50)
    | st.floats(allow_nan=False)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(
    st.dictionaries(
        st.sampled_from(["types", "alarm_levels", "mass_casualty", "assignment", "x"]), json_like
    )
)
def test_parser_never_crashes_on_garbage(data: dict[str, object]) -> None:
    with contextlib.suppress(RunCardError):  # a readable refusal is fine; a crash is not
        parse_run_cards(data)


@given(st.sampled_from(INCIDENT_TYPES), json_like)
def test_parser_rejects_a_broken_type_with_a_reason(incident_type: str, junk: object) -> None:
    data = tomllib.loads(TOML.read_text("utf-8"))
    data["types"][incident_type] = junk
    try:
        book = parse_run_cards(data)
    except RunCardError as err:
        assert err.reason
    else:
        assert book.card_for(incident_type, 1).golden_time_s > 0
