"""Patients counted per report: pooling, merges, splits, and states stored before the
per-report figures were kept."""

from __future__ import annotations

import doctest
from datetime import timedelta
from typing import Any

import orjson
from hypothesis import given
from hypothesis import strategies as st

from streams import patients
from streams.contract import Command, CommandAction, IncidentType
from streams.fusion import IncidentState, absorb, incident_id_for, open_incident
from streams.rulings import merge, split, split_id
from streams.zone import Zone
from tests.streams.samples import CITY_HALL, T0, call_evidence, camera_evidence

NOW = T0 + timedelta(minutes=5)
M_PER_DEG_LON = 111_320.0 * 0.7927  # at 37.5° N


def east(metres: float) -> float:
    return CITY_HALL[0] + metres / M_PER_DEG_LON


def command(cid: str, action: CommandAction, incident_id: str, **values: Any) -> Command:
    return Command(
        id=cid,
        at=NOW,
        action=action,
        by="dispatcher-kim",
        role="dispatcher",
        incident_id=incident_id,
        reason="same scene",
        **values,
    )


def zone(incidents: dict[str, Any]) -> Zone:
    return Zone(incidents, {}, lambda lon, lat: "중구")


def as_table(incidents: dict[str, Any]) -> dict[str, Any]:
    """The store as a Faust table's changelog gives it back: JSON, key by key."""
    return {k: orjson.loads(orjson.dumps(v)) for k, v in incidents.items()}


def test_doctests() -> None:
    assert doctest.testmod(patients).failed == 0


figures = st.dictionaries(
    st.sampled_from([f"call:c{n}" for n in range(8)] + ["unattributed:INC-A"]),
    st.integers(1, 50),
)


@given(figures, figures)
def test_pooling_counts_a_report_held_by_both_once(a: dict[str, int], b: dict[str, int]) -> None:
    both = patients.pooled(a, b)
    assert patients.pooled(both, b) == both == patients.pooled(b, a)  # taken in again: no change
    assert patients.total(patients.pooled(a, a)) == patients.total(a)
    if not a.keys() & b.keys():
        assert patients.total(both) == patients.total(a) + patients.total(b)
    assert patients.total(both) <= patients.total(a) + patients.total(b)


def test_a_merge_of_incidents_holding_a_report_in_common_counts_its_patients_once() -> None:
    """Both hold call-2 (two patients), as two incidents do while a merge across a border
    is on its way: the survivor counts 1 + 2 + 3 patients, not 8."""
    first = absorb(open_incident(call_evidence(1, patients=1), None), call_evidence(2, patients=2))
    second = absorb(
        open_incident(call_evidence(3, lon=east(20), patients=3), None),
        call_evidence(2, patients=2),
    )
    assert (first.incident.patients, second.incident.patients) == (3, 5)
    cmd = command(
        "cmd-m1",
        CommandAction.MERGE_INCIDENT,
        second.incident.id,
        into_incident_id=first.incident.id,
    )
    _, survivor = merge(second, first, cmd, NOW)
    assert [r.id for r in survivor.incident.evidence] == ["call-1", "call-2", "call-3"]
    assert survivor.incident.patients == 6
    assert survivor.patients_by_report == {"call:call-1": 1, "call:call-2": 2, "call:call-3": 3}


def test_a_split_takes_the_patients_of_the_reports_it_takes() -> None:
    """The caller of call-2 reported three injured: split off into an incident of its own,
    that incident has the three (and its run card the ambulances), the rest the others."""
    incidents: dict[str, Any] = {}
    z = zone(incidents)
    fire = z.evidence(call_evidence(1, patients=1), NOW)[0].key
    medical = call_evidence(2, at_s=30, kind=IncidentType.MEDICAL, lon=east(20), patients=3)
    z.evidence(medical, NOW)
    z.evidence(camera_evidence(1, 0.9, at_s=40, lon=east(10)), NOW)
    cut = command("cmd-s1", CommandAction.SPLIT_EVIDENCE, fire, evidence_ids=["call-2"])
    z.command(cut, NOW)
    rest, new = z.get(fire), z.get(split_id(cut))
    assert rest is not None and new is not None
    assert (rest.incident.patients, new.incident.patients) == (1, 3)
    back = command("cmd-m2", CommandAction.MERGE_INCIDENT, split_id(cut), into_incident_id=fire)
    z.command(back, NOW)
    for again in (z, zone(as_table(incidents))):  # and after a restart from the table
        survivor = again.get(fire)
        assert survivor is not None and survivor.incident.patients == 4


def test_figures_survive_a_restart_and_replays_count_nothing_twice() -> None:
    incidents: dict[str, Any] = {}
    z = zone(incidents)
    for n in range(1, 4):
        z.evidence(call_evidence(n, at_s=n, lon=east(n), patients=n), NOW)
    inc_id = incident_id_for(call_evidence(1))
    restarted = zone(as_table(incidents))
    for n in range(1, 4):  # the changelog's evidence, replayed to the new worker
        assert restarted.evidence(call_evidence(n, at_s=n, lon=east(n), patients=n), NOW) == []
    state = restarted.get(inc_id)
    assert state is not None and state.incident.patients == 6
    assert state.patients_by_report == {"call:call-1": 1, "call:call-2": 2, "call:call-3": 3}


def test_a_state_stored_without_per_report_figures_keeps_its_count_once() -> None:
    """A table written before incidents kept each report's figure: the count loads as one
    unattributed total, which new reports add to and which a merge taking that state in
    twice still counts once."""
    old = open_incident(call_evidence(1, patients=4), None)
    old_id = old.incident.id
    stored = {old_id: {"incident": old.incident.model_dump(mode="json"), "reporters": {}}}
    z = zone(as_table(stored))
    loaded = z.get(old_id)
    assert loaded is not None and loaded.patients_by_report == {f"unattributed:{old_id}": 4}
    z.evidence(call_evidence(2, at_s=30, lon=east(10), patients=1), NOW)
    grown = z.get(old_id)
    assert grown is not None and grown.incident.patients == 5
    assert z.evidence(call_evidence(1, patients=4), NOW) == []  # a replay: counted already
    other = open_incident(call_evidence(7, lon=east(30), patients=2), None)
    held = IncidentState.from_json(
        {"incident": old.incident.model_dump(mode="json"), "reporters": {}}
    )
    into = other.incident.id
    first = command("cmd-m3", CommandAction.MERGE_INCIDENT, old_id, into_incident_id=into)
    _, once = merge(held, other, first, NOW)
    again = command("cmd-m4", CommandAction.MERGE_INCIDENT, old_id, into_incident_id=into)
    _, twice = merge(grown, once, again, NOW)
    assert once.incident.patients == 6  # 2 + the old total of 4
    assert twice.incident.patients == 7  # + call-2; the old total not a second time


def test_an_incident_merged_away_holds_no_figures_after_a_restart() -> None:
    gone = open_incident(call_evidence(1, patients=2), None)
    into = open_incident(call_evidence(2, lon=east(20), patients=1), None)
    cmd = command(
        "cmd-m5", CommandAction.MERGE_INCIDENT, gone.incident.id, into_incident_id=into.incident.id
    )
    closed, _ = merge(gone, into, cmd, NOW)
    for data in (closed.to_json(), {"incident": closed.to_json()["incident"], "reporters": {}}):
        assert IncidentState.from_json(orjson.loads(orjson.dumps(data))).patients_by_report == {}


def test_a_split_of_an_unattributed_total_leaves_it_with_the_rest() -> None:
    old = absorb(open_incident(call_evidence(1, patients=2), None), call_evidence(2, patients=1))
    loaded = IncidentState.from_json(
        {"incident": old.incident.model_dump(mode="json"), "reporters": old.reporters}
    )
    cut = command("cmd-s2", CommandAction.SPLIT_EVIDENCE, old.incident.id, evidence_ids=["call-2"])
    rest, new = split(loaded, cut, None, NOW)
    assert (rest.incident.patients, new.incident.patients) == (3, 0)
