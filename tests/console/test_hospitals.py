"""Pure parts of the console's emergency-room views: stale status, destinations in force, the
board, and what a crew socket lets through."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from console.hospitals import board, destination_in_force, hospital_status, plans_in_force
from console.sockets import CrewFilter
from tests.console.hospital_samples import (
    KANGBUK,
    NMC,
    SNUH,
    destination,
    er_status,
    mci_plan,
    refused_choice,
)

MAX_AGE_S = 600.0
Record = dict[str, Any]


def _now_s() -> float:
    return datetime.now(UTC).timestamp()


def test_old_status_is_flagged_stale_and_its_beds_are_not_trusted() -> None:
    fresh = hospital_status(er_status(SNUH[0], 4, age_s=60), _now_s(), MAX_AGE_S)
    old = hospital_status(er_status(SNUH[0], 4, age_s=1200), _now_s(), MAX_AGE_S)
    assert fresh is not None and old is not None
    assert (fresh["stale"], fresh["beds_trusted"]) == (False, 4)
    assert (old["stale"], old["beds_trusted"], old["beds_available"]) == (True, None, 4)
    assert 1190 <= old["age_s"] <= 1300


def test_a_destination_ends_with_its_incident_or_when_the_unit_is_free_again() -> None:
    issued = datetime.now(UTC) - timedelta(minutes=5)
    dest = destination("inc-1", "A-1", at=issued)
    on_way = {"unit_id": "A-1", "status": "transporting", "at": datetime.now(UTC).isoformat()}
    free_now = {**on_way, "status": "available"}
    free_before = {**free_now, "at": (issued - timedelta(minutes=1)).isoformat()}
    assert destination_in_force(dest, on_way, {"inc-1"}) == dest
    assert destination_in_force(dest, None, {"inc-1"}) == dest
    assert destination_in_force(dest, on_way, {"inc-2"}) is None
    assert destination_in_force(dest, free_now, {"inc-1"}) is None
    assert destination_in_force(dest, free_before, {"inc-1"}) == dest


def test_the_board_shows_who_is_coming_and_each_plans_share() -> None:
    registry = [
        {"hospital_id": h[0], "name": h[1], "level": h[2], "location": None}
        for h in (SNUH, KANGBUK)
    ]
    statuses = [er_status(SNUH[0], 4), er_status(KANGBUK[0], 0, age_s=3600)]
    coming = [
        {**destination("inc-1", "A-2"), "eta_s": 700.0},
        {**destination("inc-2", "A-1"), "eta_s": 300.0},
        destination("inc-3", "A-3", hospital=NMC),  # not in the registry: still shown
    ]
    rows = board(registry, statuses, coming, [mci_plan("inc-9")], _now_s(), MAX_AGE_S)
    by_id = {r["hospital_id"]: r for r in rows}
    assert rows[0]["hospital_id"] == SNUH[0]  # most units coming first
    assert [(c["unit_id"], c["eta_s"]) for c in by_id[SNUH[0]]["incoming"]] == [
        ("A-1", 300.0),
        ("A-2", 700.0),
    ]
    assert by_id[KANGBUK[0]]["status"]["stale"] is True
    assert by_id[KANGBUK[0]]["status"]["beds_trusted"] is None
    assert by_id[NMC[0]]["name"] == NMC[1]
    assert by_id[SNUH[0]]["mci"][0]["planned"] == {"critical": 2, "serious": 3, "minor": 4}


def test_plans_of_ended_incidents_are_left_out() -> None:
    plans = [mci_plan("inc-1"), mci_plan("inc-2")]
    assert [p["incident_id"] for p in plans_in_force(plans, {"inc-2"})] == ["inc-2"]


def test_a_crew_socket_lets_through_only_its_own_units_destination() -> None:
    accepts = CrewFilter("A-1", {"inc-1"})
    assert accepts("destination", destination("inc-1", "A-1"))
    assert not accepts("destination", destination("inc-1", "A-2"))
    assert not accepts("er-status", er_status(SNUH[0], 3))
    assert not accepts("mci-plan", mci_plan("inc-1"))


def test_a_crew_socket_lets_through_only_its_own_refused_choice() -> None:
    accepts = CrewFilter("A-1", {"inc-1"})
    mine = {"id": "cmd-1-ab", "action": "choose_destination", "unit_id": "A-1"}
    other = {**mine, "id": "cmd-2-cd", "unit_id": "A-2"}
    accept = {"id": "cmd-3-ef", "action": "accept_recommendation", "incident_id": "inc-1"}
    assert accepts("deadletter", refused_choice(mine, "unit A-1 has no patient"))
    assert not accepts("deadletter", refused_choice(other, "unit A-2 has no patient"))
    assert not accepts("deadletter", refused_choice(accept, "stale recommendation"))
    garbled = {**refused_choice(mine, "x"), "payload": "not json"}
    assert not accepts("deadletter", garbled)
    forged = {**refused_choice(mine, "x"), "event_id": "cmd-9-zz"}  # not that command's letter
    assert not accepts("deadletter", forged)


HOSPITAL_IDS = st.sampled_from(["A1", "A2", "A3", "B7"])


@st.composite
def records(draw: st.DrawFn) -> tuple[list[Record], list[Record], list[Record]]:
    """Statuses, destinations and plans naming a few hospitals, some outside the registry."""
    now = datetime.now(UTC)
    statuses = [
        {"hospital_id": h, "at": (now - timedelta(seconds=age)).isoformat(), "beds_available": b}
        for h, age, b in draw(
            st.lists(st.tuples(HOSPITAL_IDS, st.floats(0, 1e5), st.integers(0, 50)), max_size=6)
        )
    ]
    dests = [
        {"hospital_id": h, "unit_id": f"A-{i}", "incident_id": "inc-1", "eta_s": eta,
         "hospital_name": f"병원 {h}", "ranked": [{"hospital_id": h, "name": f"병원 {h}"}]}
        for i, (h, eta) in enumerate(draw(st.lists(st.tuples(HOSPITAL_IDS, st.floats(0, 5e3)))))
    ]  # fmt: skip
    plans = [
        {"incident_id": f"inc-{i}", "allocations": [
            {"hospital_id": h, "name": f"병원 {h}", "planned": {"minor": n}} for h, n in shares]}
        for i, shares in enumerate(draw(st.lists(
            st.lists(st.tuples(HOSPITAL_IDS, st.integers(0, 9)), max_size=4), max_size=3)))
    ]  # fmt: skip
    return statuses, dests, plans


@given(records(), st.floats(1, 1e4))
def test_the_board_has_one_row_per_hospital_and_loses_no_record(
    found: tuple[list[Record], list[Record], list[Record]], max_age_s: float
) -> None:
    statuses, dests, plans = found
    registry = [{"hospital_id": "A1", "name": "가", "level": None, "location": None}]
    rows = board(registry, statuses, dests, plans, _now_s(), max_age_s)
    ids = [r["hospital_id"] for r in rows]
    named = {"A1"} | {r["hospital_id"] for r in statuses + dests}
    named |= {a["hospital_id"] for p in plans for a in p["allocations"]}
    assert sorted(ids) == sorted(named)  # one row each, none missing
    assert sum(len(r["incoming"]) for r in rows) == len(dests)
    assert sum(len(r["mci"]) for r in rows) == sum(len(p["allocations"]) for p in plans)
    for r in rows:
        assert [c["eta_s"] for c in r["incoming"]] == sorted(c["eta_s"] for c in r["incoming"])
        s = r["status"]
        if s is not None:
            assert s["stale"] == (s["beds_trusted"] is None)


@given(st.floats(0, 1e6), st.floats(1, 1e5))
def test_status_is_stale_exactly_when_older_than_the_maximum_age(
    age_s: float, max_age_s: float
) -> None:
    now = datetime(2026, 12, 6, 10, tzinfo=UTC)
    status = {"hospital_id": "A1", "at": (now - timedelta(seconds=age_s)).isoformat()}
    shown = hospital_status(status | {"beds_available": 2}, now.timestamp(), max_age_s)
    assert shown is not None
    if abs(age_s - max_age_s) > 1e-3:  # away from the boundary's float rounding
        assert shown["stale"] == (age_s > max_age_s)
    assert shown["beds_trusted"] == (None if shown["stale"] else 2)
