"""Which change of a unit's emergency room is a diversion (the worker moved the unit: its ER
filled) and which is a crew's or dispatcher's choice, decided from the unit's trail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from hypothesis import given
from hypothesis import strategies as st

from console.diversions import diversion, trail_entry
from tests.console.hospital_samples import KANGBUK, NMC, SNUH, destination

T0 = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)
Record = dict[str, Any]


def at(minutes: float) -> datetime:
    """``minutes`` after the patient's first destination."""
    return T0 + timedelta(minutes=minutes)


def first() -> Record:
    """The first recommendation: SNUH."""
    return destination("inc-1", "A-1", SNUH, at=at(0))


def diverted(because: str | None = "서울대학교병원 병상 0 보고", **extra: Any) -> Record:
    """The worker's new recommendation, en route, to Kangbuk Samsung."""
    record = destination("inc-1", "A-1", KANGBUK, version=2, at=at(6))
    record["reason"] = "서울대학교병원 병상 소진 보고 · 재추천 · PCI 가능"
    if because is not None:
        record["rerouted_because"] = because
    return {**record, **extra}


def test_an_er_the_worker_changed_is_a_diversion_from_the_old_one_with_why() -> None:
    found = diversion([first()], diverted())
    assert found == {
        "from_hospital_id": SNUH[0],
        "from_hospital_name": SNUH[1],
        "because": "서울대학교병원 병상 0 보고",
        "at": diverted()["issued_at"],
    }


def test_without_a_rerouted_because_the_records_reason_says_why() -> None:
    found = diversion([first()], diverted(because=None))
    assert found is not None
    assert found["because"] == "서울대학교병원 병상 소진 보고 · 재추천 · PCI 가능"


def test_a_record_that_says_it_diverted_the_unit_needs_no_trail() -> None:
    said = diverted(because=None, diverted_from=SNUH[0], diverted_because="zero_beds")
    found = diversion([], said)  # the earlier record never reached this console
    assert found is not None
    assert (found["from_hospital_id"], found["from_hospital_name"]) == (SNUH[0], SNUH[1])
    assert found["because"] == "병상 0 보고 reported no beds"
    unknown = diversion([first()], {**said, "diverted_because": "ward_closed"})
    assert unknown is not None and unknown["because"] == "ward_closed"


def test_a_new_patient_of_the_same_incident_is_no_diversion() -> None:
    handed_over = destination("inc-1", "A-1", SNUH, "accepted", 3, "cmd-1", at=at(0))
    next_patient = destination("inc-1", "A-1", KANGBUK, version=1, at=at(40))
    assert diversion([handed_over], next_patient) is None


def test_a_new_patient_sent_to_the_er_the_last_one_was_diverted_to_is_no_diversion() -> None:
    # the unit brought its first patient to Kangbuk after a diversion, came back to the same
    # incident for another, and that one is recommended Kangbuk too
    next_patient = destination("inc-1", "A-1", KANGBUK, version=1, at=at(40))
    trail = [first(), diverted(diverted_from=SNUH[0], diverted_because="zero_beds")]
    assert diversion(trail, next_patient) is None
    assert diversion([first(), diverted()], next_patient) is None


def test_a_crews_or_dispatchers_choice_of_another_er_is_no_diversion() -> None:
    chosen = destination("inc-1", "A-1", NMC, "changed", 2, "cmd-1", at=at(3))
    assert diversion([first()], chosen) is None


def test_the_diversion_stays_shown_while_the_crew_keeps_to_the_new_er() -> None:
    accepted = destination("inc-1", "A-1", KANGBUK, "accepted", 3, "cmd-2", at=at(7))
    found = diversion([first(), diverted()], accepted)
    assert found is not None and found["from_hospital_id"] == SNUH[0]
    assert found["at"] == diverted()["issued_at"]  # when it was diverted, not when accepted


def test_the_first_er_and_a_new_way_to_the_same_er_are_no_diversion() -> None:
    around = destination("inc-1", "A-1", SNUH, version=2, at=at(4))
    around["reason"] = "한남대교 통제 · 우회 경로 · PCI 가능"
    assert diversion([], first()) is None
    assert diversion([first()], first()) is None
    assert diversion([first()], around) is None


def test_a_patient_of_another_incident_starts_a_new_trail() -> None:
    earlier = destination("inc-0", "A-1", NMC, "accepted", 4, "cmd-0", at=at(-60))
    now = destination("inc-1", "A-1", KANGBUK, at=at(0))
    assert diversion([earlier], now) is None


def test_a_later_choice_ends_the_diversion_and_a_second_diversion_names_the_last_er() -> None:
    chosen = destination("inc-1", "A-1", NMC, "changed", 3, "cmd-3", at=at(8))
    assert diversion([first(), diverted()], chosen) is None
    again = destination("inc-1", "A-1", SNUH, version=4, at=at(12))
    found = diversion([first(), diverted(), chosen], again)
    assert found is not None and found["from_hospital_id"] == NMC[0]


def test_records_issued_after_the_one_in_force_are_not_its_history() -> None:
    assert diversion([diverted()], first()) is None


@given(st.permutations(range(3)), st.lists(st.integers(0, 2), max_size=4))
def test_the_trail_in_any_order_with_replays_and_as_stored_decides_the_same(
    order: list[int], replays: list[int]
) -> None:
    chosen = destination("inc-1", "A-1", KANGBUK, "accepted", 3, "cmd-2", at=at(7))
    records = [first(), diverted(), chosen]
    shuffled = [records[i] for i in [*order, *replays]]
    stored = [orjson.loads(trail_entry(r)[1]) for r in shuffled]
    expected = diversion(records[:2], chosen)
    assert expected is not None
    assert diversion(shuffled, chosen) == expected
    assert diversion(stored, chosen) == expected


def test_a_replayed_record_is_the_same_trail_entry() -> None:
    record = diverted()
    assert trail_entry(record) == trail_entry(orjson.loads(orjson.dumps(record)))
    score, member = trail_entry(record)
    assert score == int(at(6).timestamp() * 1000)
    assert {"route", "ranked"}.isdisjoint(orjson.loads(member))  # the trail stays small
