"""Patient destinations over the dispatch stage's stores (dicts here), on Seoul's emergency
rooms: the right ER by condition, zero beds closing an ER until it reports again, stale
status flagged, a mass-casualty plan within capacity that survives a restart, replays
changing nothing."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import orjson
import pytest

from dispatch import load_er_rules
from dispatch.hospitals import ErRules
from geo import City, load_city
from stack.settings import SEOUL_PACK
from streams.contract import Command, ContractError, ErStatus, Position, UnitStatus
from streams.destinations import DestinationFollower
from streams.zone import Effect

RULES = load_er_rules()
NOW = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)
ALLEY = Position(lon=126.9870, lat=37.5600)


@pytest.fixture(scope="module")
def seoul() -> City:
    return load_city(SEOUL_PACK)


class Table(dict[str, Any]):
    """A store that keeps what was written, as a changelog does (a later change to the
    written object is not in it unless written again)."""

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, orjson.loads(orjson.dumps(value)))


def follower(
    city: City, stores: tuple[Table, ...] | None = None, rules: ErRules = RULES
) -> DestinationFollower:
    er, patients, mci = stores or (Table(), Table(), Table())
    return DestinationFollower(city, rules, er, patients, mci)


def report(hid: str, beds: int, at: datetime = NOW, **caps: bool) -> ErStatus:
    return ErStatus.model_validate(
        {"id": f"ers-{hid}-{at:%Y%m%dT%H%M%S}", "hospital_id": hid, "at": at}
        | {"beds_available": beds, "capabilities": caps}
    )


def contact(unit: str, condition: str, severity: str, at: datetime = NOW) -> UnitStatus:
    return UnitStatus.model_validate(
        {"unit_id": unit, "at": at, "kind": "ambulance", "status": "on_scene"}
        | {"incident_id": "INC-1", "patient": {"condition": condition, "severity": severity}}
    )


def status(unit: str, value: str, at: datetime = NOW) -> UnitStatus:
    return UnitStatus.model_validate(
        {"unit_id": unit, "at": at, "kind": "ambulance", "status": value, "incident_id": "INC-1"}
    )


def values(effects: list[Effect], topic: str) -> list[dict[str, Any]]:
    return [orjson.loads(e.value) for e in effects if e.topic == topic]


def everyone_reports(f: DestinationFollower, beds: int) -> None:
    for hid in f.hospitals:
        f.on_er_status(report(hid, beds), NOW)


def test_a_cardiac_arrest_whose_nearest_er_cannot_do_pci_goes_to_one_that_can(
    seoul: City,
) -> None:
    f = follower(seoul)
    everyone_reports(f, 5)
    small = [h for h in f.hospitals.values() if "pci" not in h.capabilities]
    assert small
    checked = 0
    for h in small[:8]:
        scene = Position(lon=h.lon, lat=h.lat)
        minor = values(
            f.on_unit_status(contact(f"M-{h.id}", "minor", "minor"), "INC-1", scene, NOW),
            "destinations",
        )
        if minor[0]["hospital_id"] != h.id:
            continue  # its own ER is not the nearest by road from its door
        checked += 1
        (arrest,) = values(
            f.on_unit_status(
                contact(f"A-{h.id}", "cardiac_arrest", "critical"), "INC-1", scene, NOW
            ),
            "destinations",
        )
        chosen = f.hospitals[arrest["hospital_id"]]
        assert "pci" in chosen.capabilities and chosen.id != h.id
        assert arrest["needs"] == ["pci"] and arrest["eta_s"] > minor[0]["eta_s"]
        assert arrest["route"]["type"] == "LineString"
    assert checked >= 3


def test_an_er_reporting_zero_beds_gets_no_patient_until_it_reports_again(seoul: City) -> None:
    f = follower(seoul)
    everyone_reports(f, 5)
    (first,) = values(
        f.on_unit_status(contact("U1", "minor", "minor"), "INC-1", ALLEY, NOW), "destinations"
    )
    nearest = first["hospital_id"]
    f.on_er_status(report(nearest, 0, NOW + timedelta(minutes=1)), NOW)
    later = NOW + timedelta(hours=2)  # however old the zero grows
    (second,) = values(
        f.on_unit_status(contact("U2", "minor", "minor", later), "INC-1", ALLEY, later),
        "destinations",
    )
    assert second["hospital_id"] != nearest
    assert nearest not in {r["hospital_id"] for r in second["ranked"]}
    f.on_er_status(report(nearest, 3, later), later)
    (third,) = values(
        f.on_unit_status(contact("U3", "minor", "minor", later), "INC-1", ALLEY, later),
        "destinations",
    )
    assert third["hospital_id"] == nearest


def test_stale_status_is_flagged_and_not_counted_as_beds(seoul: City) -> None:
    f = follower(seoul)
    old = NOW - timedelta(seconds=RULES.stale_after_s + 120)
    for hid in f.hospitals:
        f.on_er_status(report(hid, 9, old), NOW)
    (record,) = values(
        f.on_unit_status(contact("U1", "medical", "serious"), "INC-1", ALLEY, NOW), "destinations"
    )
    assert all(r["stale"] for r in record["ranked"])
    assert all(r["status_age_s"] > RULES.stale_after_s for r in record["ranked"])
    assert "오래됨" in record["ranked"][0]["reason"]


def test_an_older_or_repeated_status_changes_nothing(seoul: City) -> None:
    f = follower(seoul)
    hid = next(iter(f.hospitals))
    f.on_er_status(report(hid, 4), NOW)
    assert f.on_er_status(report(hid, 4), NOW) == []  # the same id again
    with pytest.raises(ContractError, match="not newer"):
        f.on_er_status(report(hid, 2, NOW - timedelta(minutes=1)), NOW)
    with pytest.raises(ContractError, match="unknown hospital"):
        f.on_er_status(report("NOT-AN-ER", 2), NOW)


def test_a_replayed_contact_is_one_destination(seoul: City) -> None:
    f = follower(seoul)
    everyone_reports(f, 5)
    assert values(
        f.on_unit_status(contact("U1", "stroke", "critical"), "INC-1", ALLEY, NOW), "destinations"
    )
    assert f.on_unit_status(contact("U1", "stroke", "critical"), "INC-1", ALLEY, NOW) == []
    assert sum(f.incoming().values()) == 1


def test_the_crew_accepts_or_chooses_another(seoul: City) -> None:
    f = follower(seoul)
    everyone_reports(f, 5)
    (rec,) = values(
        f.on_unit_status(contact("U1", "stemi", "critical"), "INC-1", ALLEY, NOW), "destinations"
    )
    choose = {"at": NOW, "action": "choose_destination", "by": "crew-U1", "role": "crew"}
    choose |= {"incident_id": "INC-1", "unit_id": "U1"}
    accept = Command.model_validate({**choose, "id": "c1", "hospital_id": rec["hospital_id"]})
    (accepted,) = values(f.on_choose(accept, NOW), "destinations")
    assert accepted["status"] == "accepted" and accepted["version"] == 2
    other = rec["ranked"][1]["hospital_id"]
    change = Command.model_validate({**choose, "id": "c2", "hospital_id": other})
    (changed,) = values(f.on_choose(change, NOW), "destinations")
    assert changed["status"] == "changed" and changed["hospital_id"] == other
    assert changed["command_id"] == "c2" and f.incoming() == {other: 1}
    stray = Command.model_validate({**choose, "id": "c3", "unit_id": "U9", "hospital_id": other})
    with pytest.raises(ContractError, match="no patient"):
        f.on_choose(stray, NOW)


def crowd(patients: int) -> dict[str, Any]:
    return {
        "id": "INC-1",
        "status": "dispatched",
        "patients": patients,
        "mass_casualty": True,
        "location": {"lon": ALLEY.lon, "lat": ALLEY.lat},
    }


def test_thirty_patients_spread_within_capacity_and_the_plan_survives_a_restart(
    seoul: City,
) -> None:
    stores = (Table(), Table(), Table())
    f = follower(seoul, stores)
    capacity = {}
    for i, hid in enumerate(sorted(f.hospitals)):
        capacity[hid] = 1 + i % 4
        f.on_er_status(report(hid, capacity[hid]), NOW)
    (plan,) = values(f.on_incident(crowd(30), NOW), "mci-plans")
    assert plan["patients_total"] == 30 and plan["unallocated"] == 0
    assert len(plan["allocations"]) >= 5
    severities = ["critical"] * 6 + ["serious"] * 9 + ["minor"] * 15
    received: dict[str, int] = {}
    for n, severity in enumerate(severities):
        if n == 15:  # the worker restarts: a new follower over the same tables
            f = follower(seoul, stores)
        effects = f.on_unit_status(
            contact(f"U{n}", "major_trauma" if severity == "critical" else "medical", severity),
            "INC-1",
            ALLEY,
            NOW,
        )
        (dest,) = values(effects, "destinations")
        assert dest["mass_casualty"]
        received[dest["hospital_id"]] = received.get(dest["hospital_id"], 0) + 1
        plan = (values(effects, "mci-plans") or [plan])[-1]  # published when it changed
    assert len(received) >= 5
    assert all(n <= capacity[hid] for hid, n in received.items()), received
    assert sum(sum(a["planned"].values()) for a in plan["allocations"]) == 30
    assert all(sum(a["planned"].values()) <= a["capacity"] for a in plan["allocations"])
    later = NOW + timedelta(minutes=5)
    effects = f.on_unit_status(status("U0", "transporting", later), "INC-1", ALLEY, later)
    (moved,) = values(effects, "mci-plans")
    assert sum(sum(a["transported"].values()) for a in moved["allocations"]) == 1
    assert moved["version"] == plan["version"] + 1


def test_drive_times_come_from_the_road_graph_of_the_moment(seoul: City) -> None:
    slow = seoul.roads.with_edge_times(seoul.roads.edge_arrays()[2] * 2)  # a congested hour
    fast = follower(seoul)
    jammed = DestinationFollower(seoul, RULES, Table(), Table(), Table(), lambda now: slow)
    for f in (fast, jammed):
        everyone_reports(f, 5)
    (a,) = values(
        fast.on_unit_status(contact("U1", "minor", "minor"), "INC-1", ALLEY, NOW), "destinations"
    )
    (b,) = values(
        jammed.on_unit_status(contact("U1", "minor", "minor"), "INC-1", ALLEY, NOW), "destinations"
    )
    assert a["hospital_id"] == b["hospital_id"]
    assert b["eta_s"] == pytest.approx(2 * a["eta_s"], rel=0.01)


def test_a_new_contact_of_the_same_crew_replaces_its_patient_in_the_plan(seoul: City) -> None:
    f = follower(seoul)
    everyone_reports(f, 3)
    f.on_incident(crowd(10), NOW)
    f.on_unit_status(contact("U1", "medical", "serious"), "INC-1", ALLEY, NOW)
    later = NOW + timedelta(minutes=3)
    effects = f.on_unit_status(contact("U1", "medical", "minor", later), "INC-1", ALLEY, later)
    (plan,) = values(effects, "mci-plans")[-1:]
    assert sum(f.incoming().values()) == 1
    assert f.plans.sent("INC-1") == 1
    assert sum(sum(a["planned"].values()) for a in plan["allocations"]) == 10


def test_handovers_count_against_an_er_until_it_reports_and_are_then_forgotten(
    seoul: City,
) -> None:
    stores = (Table(), Table(), Table())
    f = follower(seoul, stores)
    everyone_reports(f, 4)
    (d,) = values(
        f.on_unit_status(contact("U1", "minor", "minor"), "INC-1", ALLEY, NOW), "destinations"
    )
    hid = d["hospital_id"]
    at = NOW + timedelta(minutes=10)
    f.on_unit_status(status("U1", "at_hospital", at), "INC-1", ALLEY, at)
    f.on_unit_status(status("U1", "available", at), "INC-1", ALLEY, at)
    assert f.incoming() == {hid: 1}, "handed over after its report: still one bed fewer"
    f.on_er_status(report(hid, 3, at + timedelta(minutes=1)), at)
    assert f.incoming() == {}
    f.on_unit_status(contact("U2", "minor", "minor", at), "INC-1", ALLEY, at)
    f.on_unit_status(status("U2", "at_hospital", at), "INC-1", ALLEY, at)
    f.on_unit_status(status("U2", "available", at), "INC-1", ALLEY, at)
    assert [k for k in stores[1] if not k.startswith("contact|")] == [f"done|U2|{at.isoformat()}"]
    later = at + timedelta(hours=7)  # its ER never reports again
    f.on_unit_status(contact("U3", "minor", "minor", later), "INC-1", ALLEY, later)
    f.on_unit_status(status("U3", "available", later), "INC-1", ALLEY, later)
    assert list(stores[1]) == ["contact|U3"]  # the other crews' contacts are long past replay


STEADY = dataclasses.replace(
    RULES, penalty_s_per_incoming=0.0, arrival_weight=0.0, prior_var_per_s=1e-9
)
"""Every patient to the nearest ER, whose beds hold as reported until it reports again."""


def test_an_er_filling_up_moves_the_patients_behind_the_first_to_arrive_once(
    seoul: City,
) -> None:
    f = follower(seoul, rules=STEADY)
    everyone_reports(f, 5)
    sent = {
        u: values(
            f.on_unit_status(contact(u, "minor", "minor"), "INC-1", ALLEY, NOW), "destinations"
        )
        for u in ("U1", "U2", "U3")
    }
    hid = sent["U1"][0]["hospital_id"]
    assert all(d[0]["hospital_id"] == hid for d in sent.values())
    left = NOW + timedelta(minutes=2)
    f.on_unit_status(status("U3", "transporting", left), "INC-1", ALLEY, left)
    later = NOW + timedelta(minutes=4)
    full = report(hid, 1, later)
    moved = values(f.on_er_status(full, later), "destinations")
    assert sorted(d["unit_id"] for d in moved) == ["U1", "U2"], "U3 arrives first: its bed"
    for d in moved:
        assert d["hospital_id"] != hid and d["version"] == 2 and d["status"] == "recommended"
        assert d["diverted_from"] == hid and d["diverted_because"] == "no_bed_on_arrival"
        assert d["er_status_id"] == full.id and "도착 시 병상 없음 예상" in d["reason"]
    assert f.on_er_status(full, later) == [], "a replayed report moves nobody again"
    again = report(hid, 4, later + timedelta(minutes=5))
    assert values(f.on_er_status(again, later), "destinations") == [], "never moved back"
    assert f.incoming()[hid] == 1


def test_an_ambulance_on_its_way_to_an_er_reporting_zero_beds_is_diverted_once_from_where_it_is(
    seoul: City,
) -> None:
    f = follower(seoul, rules=STEADY)
    everyone_reports(f, 5)
    (first,) = values(
        f.on_unit_status(contact("U1", "stemi", "critical"), "INC-1", ALLEY, NOW), "destinations"
    )
    hid = first["hospital_id"]
    left = NOW + timedelta(minutes=1)
    f.on_unit_status(status("U1", "transporting", left), "INC-1", ALLEY, left)
    er = f.hospitals[hid]
    halfway = ((ALLEY.lon + er.lon) / 2, (ALLEY.lat + er.lat) / 2)
    later = NOW + timedelta(minutes=3)
    full = report(hid, 0, later)
    (moved,) = values(f.on_er_status(full, later, lambda unit: halfway), "destinations")
    assert moved["diverted_from"] == hid and moved["diverted_because"] == "zero_beds"
    assert "pci" in f.hospitals[moved["hospital_id"]].capabilities
    here = f.times_from(*halfway, later)[moved["hospital_id"]]
    assert moved["eta_s"] == pytest.approx(here, abs=0.1), "routed from where it is"
    assert moved["route"]["coordinates"][0] != first["route"]["coordinates"][0]
    assert f.on_er_status(full, later, lambda unit: halfway) == []
    assert f.incoming() == {moved["hospital_id"]: 1}


def test_a_unit_at_the_hospital_or_a_crews_own_choice_is_not_moved(seoul: City) -> None:
    f = follower(seoul, rules=STEADY)
    everyone_reports(f, 5)
    (d1,) = values(
        f.on_unit_status(contact("U1", "minor", "minor"), "INC-1", ALLEY, NOW), "destinations"
    )
    hid, other = d1["hospital_id"], d1["ranked"][1]["hospital_id"]
    f.on_unit_status(contact("U2", "minor", "minor"), "INC-1", ALLEY, NOW)
    choose = {"id": "c1", "at": NOW, "action": "choose_destination", "by": "crew-U2"}
    choose |= {"role": "crew", "incident_id": "INC-1", "unit_id": "U2", "hospital_id": other}
    f.on_choose(Command.model_validate(choose), NOW)
    at = NOW + timedelta(minutes=8)
    f.on_unit_status(status("U1", "at_hospital", at), "INC-1", ALLEY, at)
    later = at + timedelta(minutes=1)
    assert values(f.on_er_status(report(hid, 0, later), later), "destinations") == []
    assert values(f.on_er_status(report(other, 0, later), later), "destinations") == []


def test_an_er_whose_new_report_loses_a_capability_moves_the_patients_needing_it(
    seoul: City,
) -> None:
    f = follower(seoul, rules=STEADY)
    everyone_reports(f, 5)
    (arrest,) = values(
        f.on_unit_status(contact("U1", "cardiac_arrest", "critical"), "INC-1", ALLEY, NOW),
        "destinations",
    )
    hid = arrest["hospital_id"]
    later = NOW + timedelta(minutes=2)
    (moved,) = values(f.on_er_status(report(hid, 5, later, pci=False), later), "destinations")
    assert moved["diverted_because"] == "capability_lost" and moved["hospital_id"] != hid
    assert "필요 처치 불가 보고" in moved["reason"]


def test_a_burns_patient_of_a_mass_casualty_goes_to_a_burns_centre(seoul: City) -> None:
    f = follower(seoul)
    everyone_reports(f, 5)
    f.on_incident(crowd(12), NOW)
    effects = f.on_unit_status(contact("U1", "burns", "critical"), "INC-1", ALLEY, NOW)
    (dest,) = values(effects, "destinations")
    assert "burns" in f.hospitals[dest["hospital_id"]].capabilities and dest["mass_casualty"]
    plan = values(effects, "mci-plans")[-1]
    assert dest["hospital_id"] in {a["hospital_id"] for a in plan["allocations"]}


def test_an_ers_filling_is_followed_over_its_reports_and_kept_over_a_restart(
    seoul: City,
) -> None:
    stores = (Table(), Table(), Table())
    f = follower(seoul, stores)
    everyone_reports(f, 8)
    (first,) = values(
        f.on_unit_status(contact("U1", "minor", "minor"), "INC-1", ALLEY, NOW), "destinations"
    )
    nearest = first["hospital_id"]
    f.on_unit_status(status("U1", "at_hospital", NOW + timedelta(minutes=2)), None, None, NOW)
    later = NOW + timedelta(minutes=5)
    f.on_er_status(report(nearest, 2, later), later)  # 6 fewer: one of them ours
    w = RULES.arrival_weight
    assert f.reports[nearest].fill_per_s == pytest.approx(w * 5 / 300)
    again = follower(seoul, stores)  # the stage restarts from its tables
    assert again.reports[nearest] == f.reports[nearest]
    for hid in f.hospitals:
        if hid != nearest:
            again.on_er_status(report(hid, 30, later), later)
    (second,) = values(
        again.on_unit_status(contact("U2", "minor", "minor", later), "INC-1", ALLEY, later),
        "destinations",
    )
    ranked = {r["hospital_id"]: r for r in second["ranked"]}
    assert second["hospital_id"] != nearest
    assert "도착 시 병상 불확실" in ranked[nearest]["reason"], "its 2 beds are filling fast"


def test_a_handed_over_patients_reports_replayed_change_neither_plan_nor_destinations(
    seoul: City,
) -> None:
    f = follower(seoul)
    everyone_reports(f, 3)
    f.on_incident(crowd(10), NOW)
    at = [NOW + timedelta(minutes=m) for m in (0, 5, 20, 30)]
    reports = [contact("U1", "medical", "serious", at[0])] + [
        status("U1", value, when)
        for value, when in zip(("transporting", "at_hospital", "available"), at[1:], strict=True)
    ]
    for r in reports:
        f.on_unit_status(r, "INC-1", ALLEY, r.at)
    sent, incoming = f.plans.sent("INC-1"), f.incoming()
    for r in reports:  # the worker restarted before their offsets were committed
        effects = f.on_unit_status(r, "INC-1", ALLEY, r.at)
        assert not values(effects, "destinations") and not values(effects, "mci-plans")
    assert f.plans.sent("INC-1") == sent == 1 and f.incoming() == incoming


def test_a_choice_after_the_handover_is_refused_and_moves_no_bed(seoul: City) -> None:
    f = follower(seoul)
    everyone_reports(f, 5)
    (rec,) = values(
        f.on_unit_status(contact("U1", "minor", "minor"), "INC-1", ALLEY, NOW), "destinations"
    )
    at = NOW + timedelta(minutes=10)
    f.on_unit_status(status("U1", "at_hospital", at), "INC-1", ALLEY, at)
    other = rec["ranked"][1]["hospital_id"]
    late = Command.model_validate(
        {"id": "c1", "at": at, "action": "choose_destination", "by": "crew-U1", "role": "crew"}
        | {"incident_id": "INC-1", "unit_id": "U1", "hospital_id": other}
    )
    with pytest.raises(ContractError, match="handed its patient over"):
        f.on_choose(late, at)
    assert f.incoming() == {rec["hospital_id"]: 1}


def test_a_crew_taking_a_patient_of_another_incident_leaves_the_plan_for_good(
    seoul: City,
) -> None:
    stores = (Table(), Table(), Table())
    f = follower(seoul, stores)
    everyone_reports(f, 3)
    f.on_incident(crowd(10), NOW)
    f.on_unit_status(contact("U1", "medical", "serious"), "INC-1", ALLEY, NOW)
    assert f.plans.sent("INC-1") == 1
    later = NOW + timedelta(minutes=3)
    effects = f.on_unit_status(contact("U1", "minor", "minor", later), "INC-2", ALLEY, later)
    for plan in values(effects, "mci-plans"):  # published when its places moved
        assert plan["incident_id"] == "INC-1"
        assert sum(sum(a["planned"].values()) for a in plan["allocations"]) == 10
    assert f.plans.sent("INC-1") == 0
    assert follower(seoul, stores).plans.sent("INC-1") == 0  # after a restart too


def test_a_plans_place_no_road_leads_to_from_the_patient_gives_way_to_the_ranking(
    seoul: City,
) -> None:
    roads = [seoul.roads]
    f = DestinationFollower(seoul, RULES, Table(), Table(), Table(), lambda now: roads[0])
    everyone_reports(f, 3)
    (plan,) = values(f.on_incident(crowd(10), NOW), "mci-plans")
    planned = {a["hospital_id"] for a in plan["allocations"]}
    _, dst, _, _ = seoul.roads.edge_arrays()
    doors = [seoul.roads.snap(f.hospitals[h].lon, f.hospitals[h].lat).node for h in planned]
    into = np.flatnonzero(np.isin(dst, doors))
    roads[0] = seoul.roads.without_edges(into)  # every planned ER cut off since the plan
    effects = f.on_unit_status(contact("U1", "medical", "serious"), "INC-1", ALLEY, NOW)
    (dest,) = values(effects, "destinations")
    assert dest["hospital_id"] not in planned and dest["eta_s"] > 0


def test_a_plan_counts_on_the_beds_projected_to_the_patients_arrival(seoul: City) -> None:
    f = follower(seoul)
    everyone_reports(f, 4)  # beds that move about one a 10 minutes (the prior)
    (plan,) = values(f.on_incident(crowd(30), NOW), "mci-plans")
    times = f.times_from(ALLEY.lon, ALLEY.lat, NOW)
    assert plan["allocations"]
    for a in plan["allocations"]:
        spread = RULES.arrival_z * (RULES.prior_var_per_s * times[a["hospital_id"]]) ** 0.5
        assert a["capacity"] == max(0, int(4 - spread)) < 4
        assert sum(a["planned"].values()) <= a["capacity"]


def test_a_patient_sent_on_a_stale_report_is_told_so(seoul: City) -> None:
    f = follower(seoul)
    old = NOW - timedelta(seconds=RULES.stale_after_s + 600)
    trauma = [h for h in f.hospitals.values() if "trauma" in h.capabilities]
    full = {h.id for h in trauma[1:]}  # every other trauma centre reports no beds
    for hid in f.hospitals:
        if hid == trauma[0].id:
            f.on_er_status(report(hid, 3, old), NOW)
        else:
            f.on_er_status(report(hid, 0 if hid in full else 5), NOW)
    (dest,) = values(
        f.on_unit_status(contact("U1", "major_trauma", "critical"), "INC-1", ALLEY, NOW),
        "destinations",
    )
    assert dest["hospital_id"] == trauma[0].id
    assert dest["reason"].startswith("최신 현황으로 수용 가능한 병원 없음 · 오래된 현황으로 선택")


def test_a_patient_whose_er_a_closure_cuts_off_is_recommended_another(seoul: City) -> None:
    roads = [seoul.roads]
    f = DestinationFollower(seoul, RULES, Table(), Table(), Table(), lambda now: roads[0])
    everyone_reports(f, 5)
    (first,) = values(
        f.on_unit_status(contact("U1", "minor", "minor"), "INC-1", ALLEY, NOW), "destinations"
    )
    er = f.hospitals[first["hospital_id"]]
    _, dst, _, _ = seoul.roads.edge_arrays()
    door = seoul.roads.snap(er.lon, er.lat).node
    before, roads[0] = roads[0], seoul.roads.without_edges(np.flatnonzero(dst == door))
    (again,) = values(f.reroute(before, "ST-U-1", lambda unit: None, NOW), "destinations")
    assert again["hospital_id"] != er.id and again["version"] == 2
    assert again["reason"].startswith("ST-U-1 통제 · 도달 경로 없음 · 재추천")
    assert f.incoming() == {again["hospital_id"]: 1}


def test_an_ambulance_no_road_leads_from_to_its_er_reporting_zero_beds_is_diverted(
    seoul: City,
) -> None:
    roads = [seoul.roads]
    f = DestinationFollower(seoul, STEADY, Table(), Table(), Table(), lambda now: roads[0])
    everyone_reports(f, 5)
    (first,) = values(
        f.on_unit_status(contact("U1", "minor", "minor"), "INC-1", ALLEY, NOW), "destinations"
    )
    left = NOW + timedelta(minutes=1)
    f.on_unit_status(status("U1", "transporting", left), "INC-1", ALLEY, left)
    er = f.hospitals[first["hospital_id"]]
    _, dst, _, _ = seoul.roads.edge_arrays()
    door = seoul.roads.snap(er.lon, er.lat).node
    before, roads[0] = roads[0], seoul.roads.without_edges(np.flatnonzero(dst == door))
    f.reroute(before, "ST-U-1", lambda unit: None, left)  # on its way: it keeps its ER
    later = NOW + timedelta(minutes=3)
    (moved,) = values(f.on_er_status(report(er.id, 0, later), later), "destinations")
    assert moved["hospital_id"] != er.id and moved["diverted_because"] == "zero_beds"
    assert f.incoming() == {moved["hospital_id"]: 1}


def test_patients_split_off_a_mass_casualty_are_planned_by_one_plan_only(seoul: City) -> None:
    f = follower(seoul)
    everyone_reports(f, 10)
    (whole,) = values(f.on_incident(crowd(14), NOW), "mci-plans")
    assert whole["patients_total"] == 14
    f.on_unit_status(contact("U1", "medical", "serious"), "INC-1", ALLEY, NOW)  # one sent
    # a dispatcher splits the reports of 6 patients off into an incident of their own
    (rest,) = values(f.on_incident(crowd(8), NOW), "mci-plans")
    (split,) = values(f.on_incident(crowd(6) | {"id": "INC-2"}, NOW), "mci-plans")
    assert rest["patients_total"] + split["patients_total"] == 14
    assert sum(sum(a["planned"].values()) for a in rest["allocations"]) == 8
    (least,) = values(f.on_incident(crowd(0), NOW), "mci-plans")
    assert least["patients_total"] == RULES.mci_min_patients, "a mass casualty's least"


def test_a_crew_accepting_its_diversion_on_its_way_keeps_the_route_and_eta_from_where_it_is(
    seoul: City,
) -> None:
    f = follower(seoul, rules=STEADY)
    everyone_reports(f, 5)
    (first,) = values(
        f.on_unit_status(contact("U1", "stemi", "critical"), "INC-1", ALLEY, NOW), "destinations"
    )
    left = NOW + timedelta(minutes=1)
    f.on_unit_status(status("U1", "transporting", left), "INC-1", ALLEY, left)
    er = f.hospitals[first["hospital_id"]]
    halfway = ((ALLEY.lon + er.lon) / 2, (ALLEY.lat + er.lat) / 2)
    later = NOW + timedelta(minutes=3)
    (moved,) = values(
        f.on_er_status(report(er.id, 0, later), later, lambda u: halfway), "destinations"
    )
    accept = {"id": "c1", "at": later, "action": "choose_destination", "by": "crew-U1"}
    accept |= {"role": "crew", "incident_id": "INC-1", "unit_id": "U1"}
    accept |= {"hospital_id": moved["hospital_id"]}
    (accepted,) = values(
        f.on_choose(Command.model_validate(accept), later, lambda u: halfway), "destinations"
    )
    assert accepted["status"] == "accepted"
    assert accepted["eta_s"] == moved["eta_s"], "its drive left, not the drive from the scene"
    assert accepted["route"]["coordinates"][0] == moved["route"]["coordinates"][0]
