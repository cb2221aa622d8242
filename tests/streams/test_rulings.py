"""The dispatcher decides in the end: merge, split and retype through the zone, over dicts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from streams.contract import Command, ContractError, IncidentStatus, IncidentType
from streams.fusion import incident_id_for
from streams.rulings import split_id
from streams.zone import Zone
from tests.streams.samples import CITY_HALL, T0, call_evidence

T = IncidentType
M_PER_DEG_LON = 111_320.0 * 0.7927  # at 37.5° N
NOW = T0 + timedelta(minutes=5)


def east(metres: float) -> float:
    return CITY_HALL[0] + metres / M_PER_DEG_LON


def zone(incidents: dict[str, Any] | None = None) -> Zone:
    return Zone(incidents if incidents is not None else {}, {}, lambda lon, lat: "중구")


def command(cid: str, action: str, **values: Any) -> Command:
    return Command.model_validate(
        {
            "id": cid,
            "at": NOW.isoformat(),
            "action": action,
            "by": "dispatcher-kim",
            "role": "dispatcher",
            "reason": "same building, callers disagree",
            **values,
        }
    )


def opened(z: Zone, n: int, kind: T = T.FIRE, metres_east: float = 0, at_s: float = 0) -> str:
    ev = call_evidence(n, at_s=at_s, kind=kind, lon=east(metres_east))
    z.evidence(ev, NOW)
    return incident_id_for(ev)


def evidence_ids(z: Zone, incident_id: str) -> list[str]:
    state = z.get(incident_id)
    assert state is not None
    return [ref.id for ref in state.incident.evidence]


def test_a_merge_moves_all_evidence_to_the_survivor_and_closes_the_other() -> None:
    z = zone()
    fire = opened(z, 1)
    flood = opened(z, 2, T.FLOOD, 30)  # refused pair: fusion kept them apart
    z.evidence(call_evidence(3, at_s=20, kind=T.FLOOD, lon=east(40)), NOW)
    assert evidence_ids(z, flood) == ["call-2", "call-3"]
    z.command(command("cmd-m1", "merge_incident", incident_id=flood, into_incident_id=fire), NOW)
    survivor, gone = z.get(fire), z.get(flood)
    assert survivor is not None and gone is not None
    assert evidence_ids(z, fire) == ["call-1", "call-2", "call-3"]
    assert survivor.incident.type is T.FIRE and survivor.incident.status is IncidentStatus.OPEN
    assert gone.incident.status is IncidentStatus.CLOSED and gone.incident.merged_into == fire
    assert gone.incident.evidence == []
    (ruling,) = survivor.incident.rulings
    assert (ruling.by, ruling.reason, ruling.other_incident_id) == (
        "dispatcher-kim",
        "same building, callers disagree",
        flood,
    )
    assert gone.incident.rulings[0].command_id == "cmd-m1"


def test_incidents_fusion_kept_apart_at_one_place_are_possibly_related_until_merged() -> None:
    z = zone()
    fire = opened(z, 1)
    flood = opened(z, 2, T.FLOOD, 30, at_s=10)
    apart = opened(z, 3, T.CARDIAC_ARREST, 400, at_s=20)  # two blocks away: its own
    later = opened(z, 4, T.FLOOD, -30, at_s=3 * 3600)  # hours later: not the same
    state = z.get(flood)
    assert state is not None and state.incident.possibly_related == [fire]
    for other in (apart, later):
        assert z.get(other).incident.possibly_related == []  # type: ignore[union-attr]
    z.command(command("cmd-m0", "merge_incident", incident_id=flood, into_incident_id=fire), NOW)
    survivor = z.get(fire)
    assert survivor is not None and survivor.incident.possibly_related == []


def test_a_replayed_merge_changes_nothing() -> None:
    z = zone()
    fire, flood = opened(z, 1), opened(z, 2, T.FLOOD, 30)
    merge = command("cmd-m2", "merge_incident", incident_id=flood, into_incident_id=fire)
    assert z.command(merge, NOW)
    assert z.command(merge, NOW) == []
    survivor = z.get(fire)
    assert survivor is not None and len(survivor.incident.rulings) == 1


def test_late_evidence_of_a_merged_incident_goes_to_the_survivor() -> None:
    incidents: dict[str, Any] = {}
    z = zone(incidents)
    medical = opened(z, 1, T.MEDICAL)
    flood = opened(z, 2, T.FLOOD, 400)
    z.command(command("cmd-m3", "merge_incident", incident_id=medical, into_incident_id=flood), NOW)
    late = call_evidence(3, at_s=120, kind=T.MEDICAL, lon=east(10))  # where the medical was
    z.evidence(late, NOW)
    assert evidence_ids(z, flood) == ["call-2", "call-1", "call-3"]
    assert z.active_count == 1
    restarted = zone(incidents)  # a new worker on the same table
    later = call_evidence(4, at_s=180, kind=T.MEDICAL, lon=east(-10))
    restarted.evidence(later, NOW)
    assert evidence_ids(restarted, flood)[-1] == "call-4"


def test_split_off_evidence_becomes_its_own_incident_and_never_snaps_back() -> None:
    incidents: dict[str, Any] = {}
    z = zone(incidents)
    fire = opened(z, 1)
    z.evidence(call_evidence(2, at_s=30, kind=T.MEDICAL, lon=east(20)), NOW)
    z.evidence(call_evidence(3, at_s=60, lon=east(10)), NOW)
    split = command("cmd-s1", "split_evidence", incident_id=fire, evidence_ids=["call-2"])
    z.command(split, NOW)
    new = z.get(split_id(split))
    assert new is not None
    assert new.incident.type is T.MEDICAL and new.incident.split_from == fire
    assert [ref.id for ref in new.incident.evidence] == ["call-2"]
    assert evidence_ids(z, fire) == ["call-1", "call-3"]
    assert z.command(split, NOW) == []  # replayed: still one new incident
    for again in (z, zone(incidents)):  # a replay of the evidence, before and after a restart
        assert again.evidence(call_evidence(2, at_s=30, kind=T.MEDICAL, lon=east(20)), NOW) == []
        assert evidence_ids(again, fire) == ["call-1", "call-3"]
        assert evidence_ids(again, split_id(split)) == ["call-2"]


def test_split_takes_the_type_the_dispatcher_names() -> None:
    z = zone()
    fire = opened(z, 1)
    z.evidence(call_evidence(2, at_s=30, lon=east(20)), NOW)
    split = command(
        "cmd-s2", "split_evidence", incident_id=fire, evidence_ids=["call-2"], type="gas_leak"
    )
    z.command(split, NOW)
    new = z.get(split_id(split))
    assert new is not None and new.incident.type is T.GAS_LEAK
    assert new.incident.golden_time_s == 600 and new.fixed_type is T.GAS_LEAK


def test_a_retyped_incident_keeps_the_dispatchers_type_and_priority_as_evidence_comes() -> None:
    z = zone()
    unknown = opened(z, 1, T.OTHER)
    z.command(
        command("cmd-r1", "retype_incident", incident_id=unknown, type="gas_leak", priority=3),
        NOW,
    )
    state = z.get(unknown)
    assert state is not None
    assert (state.incident.type, state.incident.priority) == (T.GAS_LEAK, 3)
    assert state.incident.golden_time_s == 600
    for n in range(2, 5):  # fire calls would make it a priority-1 fire on their own
        z.evidence(call_evidence(n, at_s=n * 20, lon=east(15)), NOW)
    state = z.get(unknown)
    assert state is not None and len(state.incident.evidence) == 4
    assert (state.incident.type, state.incident.priority) == (T.GAS_LEAK, 3)


def test_a_mass_casualty_overrides_a_priority_set_by_hand() -> None:
    z = zone()
    fire = opened(z, 1)
    z.command(command("cmd-r2", "retype_incident", incident_id=fire, priority=4), NOW)
    z.evidence(call_evidence(2, at_s=30, kind=T.MEDICAL, lon=east(10), patients=6), NOW)
    state = z.get(fire)
    assert state is not None and state.incident.mass_casualty and state.incident.priority == 1


def test_rulings_on_missing_or_closed_incidents_are_refused_with_a_reason() -> None:
    z = zone()
    fire = opened(z, 1)
    with pytest.raises(ContractError, match="no active incident"):
        z.command(
            command("cmd-x1", "merge_incident", incident_id="INC-NONE", into_incident_id=fire),
            NOW,
        )
    with pytest.raises(ContractError, match="all its evidence"):
        z.command(
            command("cmd-x2", "split_evidence", incident_id=fire, evidence_ids=["call-1"]), NOW
        )
    z.command(command("cmd-x3", "close_incident", incident_id=fire), NOW)
    with pytest.raises(ContractError, match="no active incident"):
        z.command(command("cmd-x4", "retype_incident", incident_id=fire, type="flood"), NOW)


@pytest.mark.parametrize(
    "values",
    [
        {"action": "merge_incident", "incident_id": "INC-A"},
        {"action": "merge_incident", "incident_id": "INC-A", "into_incident_id": "INC-A"},
        {"action": "split_evidence", "incident_id": "INC-A"},
        {"action": "retype_incident", "incident_id": "INC-A"},
        {"action": "retype_incident", "incident_id": "INC-A", "type": "fire", "reason": None},
    ],
)
def test_incomplete_rulings_are_not_commands(values: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        command("cmd-bad", **values)


@given(
    kinds=st.lists(st.sampled_from([T.FIRE, T.MEDICAL, T.RESCUE, T.OTHER]), min_size=2, max_size=8),
    leaving=st.sets(st.integers(0, 7), min_size=1),
)
def test_split_then_merge_back_loses_and_doubles_no_evidence(
    kinds: list[IncidentType], leaving: set[int]
) -> None:
    incidents: dict[str, Any] = {}
    z = zone(incidents)
    first = opened(z, 0, kinds[0])
    for n, kind in enumerate(kinds[1:], start=1):
        z.evidence(call_evidence(n, at_s=n * 10, kind=kind, lon=east(n * 5)), NOW)
    owner = z.get(first)
    assert owner is not None
    before = [ref.id for ref in owner.incident.evidence]
    ids = [before[i] for i in sorted(leaving) if i < len(before)]
    if not ids or len(ids) == len(before):
        return
    split = command("cmd-p1", "split_evidence", incident_id=first, evidence_ids=ids)
    z.command(split, NOW)
    rest, new = evidence_ids(z, first), evidence_ids(z, split_id(split))
    assert sorted(rest + new) == sorted(before) and not set(rest) & set(new)
    z.command(
        command("cmd-p2", "merge_incident", incident_id=split_id(split), into_incident_id=first),
        NOW,
    )
    assert sorted(evidence_ids(z, first)) == sorted(before)
    assert sorted(evidence_ids(zone(incidents), first)) == sorted(before)  # after a restart
