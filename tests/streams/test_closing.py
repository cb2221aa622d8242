"""Closures of road structures in the dispatch stage: readings raise watch and then a
recommendation, a person confirms, routing avoids the closed links at once, units whose
route crosses them get a new one, and reopening gives the links back (grid city, dict
stores: the stage's tables)."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import timedelta
from typing import Any

import orjson
import pytest

from dispatch import Recommender
from dispatch.closure_rules import load_closure_rules
from geo.builtin import _Grid
from geo.structures import structure_by_id, structure_edges
from streams.closing import reading_item
from streams.contract import Command, CommandAction, ContractError, IncidentType
from streams.dispatch_stage import TO_FOLLOW, DispatchStage
from streams.follow import FollowUp
from streams.fusion import open_incident
from tests.streams.samples import call_evidence
from tests.streams.test_followers import CITY, NOW, of

UNDERPASS = "ST-U-G686-G687"
GAUGE = f"WL-{UNDERPASS}"
EAST_OF_IT = _Grid(CITY.roads).lonlat(18, 25, 0.0)
"""A place the ambulance of the centre station reaches through the underpass."""
STRUCTURE = structure_by_id(CITY, UNDERPASS)
assert STRUCTURE is not None


def water(n: int, depth_m: float, minutes: int = 0) -> dict[str, Any]:
    at = NOW + timedelta(minutes=minutes)
    return reading_item(
        f"wl-{n}", GAUGE, "water_level", depth_m, "m", at, STRUCTURE.lon, STRUCTURE.lat
    )


def command(n: int, action: CommandAction, **kw: Any) -> dict[str, Any]:
    cmd = Command(
        id=f"cc{n}",
        at=NOW,
        action=action,
        by="dispatcher-1",
        role="dispatcher",
        structure_id=UNDERPASS,
        **kw,
    )
    return {"command": cmd.model_dump(mode="json"), "incident": None}


def incident(n: int, kind: IncidentType = IncidentType.CARDIAC_ARREST) -> dict[str, Any]:
    """An incident east of the underpass (a cardiac arrest is assigned at once)."""
    ev = call_evidence(n, kind=kind, lon=EAST_OF_IT[0], lat=EAST_OF_IT[1])
    ev = replace(ev, at=NOW)
    state = open_incident(ev, "북동구", [])
    return {"incident": state.incident.model_dump(mode="json")}


class Stage:
    def __init__(self, tables: dict[str, dict[str, Any]] | None = None) -> None:
        names = ("units", "assignments", "plans", "commands-seen", "closures")
        self.tables = tables if tables is not None else {n: {} for n in names}
        self.recommender = Recommender(CITY)
        self.recommender.prepare_coverage()
        t = self.tables
        self.stage = DispatchStage(
            CITY,
            self.recommender,
            t["units"],
            t["assignments"],
            t["plans"],
            t["commands-seen"],
            NOW - timedelta(minutes=5),
            closures=t["closures"],
        )

    def apply(self, *items: dict[str, Any]) -> list[Any]:
        out = []
        for item in items:
            out += self.stage.apply(orjson.loads(orjson.dumps(item)), NOW)
        return out


def crosses(route: dict[str, Any] | None) -> bool:
    """Whether a route drives along any link of the underpass."""
    assert route is not None
    src, dst, _, _ = CITY.roads.edge_arrays()
    lon, lat = CITY.roads.node_lonlats()
    edges = structure_edges(CITY, STRUCTURE)
    blocked = {
        (lon[u], lat[u], lon[v], lat[v]) for u, v in zip(src[edges], dst[edges], strict=True)
    }
    legs = itertools.pairwise(route["coordinates"])
    return any((a[0], a[1], b[0], b[1]) in blocked for a, b in legs)


def closures(effects: list[Any]) -> list[dict[str, Any]]:
    return of(effects, "road-closures")


def test_rising_water_raises_watch_then_recommends_closing() -> None:
    s = Stage()
    states = [
        closures(s.apply(water(i, d, i)))[-1]["state"] for i, d in enumerate((0.0, 0.07, 0.2))
    ]
    assert states == ["open", "watch", "closure_recommended"]
    record = s.stage.closures.state(UNDERPASS)
    assert record is not None and record["version"] == 3
    assert record["previous_state"] == "watch" and record["reason"].startswith(
        "수위 0.2 m ≥ 0.15 m"
    )
    assert record["readings"][0]["close_at"] == 0.15 and record["command_id"] is None
    assert s.recommender.closed_edges.size == 0  # recommended is not closed


def test_a_replayed_or_older_reading_changes_nothing() -> None:
    s = Stage()
    s.apply(water(1, 0.2, minutes=5))
    assert s.apply(water(1, 0.2, minutes=5)) == []
    assert s.apply(water(2, 0.0, minutes=1)) == []  # measured before what is held
    assert s.stage.closures.state(UNDERPASS)["version"] == 1  # type: ignore[index]


def test_a_reading_of_no_structure_is_left_to_fusion() -> None:
    s = Stage()
    far = reading_item("x1", "WL-RIVER", "water_level", 3.0, "m", NOW, 126.95, 37.55)
    assert s.apply(far) == []


def test_confirming_needs_a_recommendation_and_a_reopen_needs_a_closure() -> None:
    s = Stage()
    with pytest.raises(ContractError, match="nothing recommends closing"):
        s.apply(command(1, CommandAction.CONFIRM_CLOSURE))
    with pytest.raises(ContractError, match="not closed"):
        s.apply(command(2, CommandAction.REOPEN_STRUCTURE, reason="dry"))


def test_unknown_structure_is_refused() -> None:
    s = Stage()
    item = command(1, CommandAction.CLOSE_STRUCTURE, reason="x")
    item["command"]["structure_id"] = "ST-U-nowhere"
    with pytest.raises(ContractError, match="no structure 'ST-U-nowhere'"):
        s.apply(item)


def back_at_station(unit_id: str, minutes: int) -> dict[str, Any]:
    station = CITY.station("DEMO-C03")
    assert station is not None
    at = (NOW + timedelta(minutes=minutes)).isoformat()
    where = {"lon": station.lon, "lat": station.lat}
    report = {"unit_id": unit_id, "at": at, "kind": "ambulance", "status": "available"}
    return {"unit": report | {"location": where}}


def ambulance(effects: list[Any]) -> dict[str, Any]:
    sent = [
        a
        for a in of(effects, "assignments")
        if a["status"] == "assigned" and a["unit_kind"] == "ambulance"
    ]
    assert len(sent) == 1
    return sent[0]


def test_after_a_confirmed_closure_no_recommendation_crosses_it_until_reopened() -> None:
    s = Stage()
    first = ambulance(s.apply(incident(1)))
    assert crosses(first["route"])  # the fastest way is through the underpass
    s.apply(back_at_station(first["unit_id"], 1))
    s.apply(water(1, 0.3))
    closed = closures(s.apply(command(1, CommandAction.CONFIRM_CLOSURE)))[-1]
    assert closed["state"] == "closed" and closed["command_id"] == "cc1"
    assert closed["by"] == "dispatcher-1" and closed["previous_state"] == "closure_recommended"
    out = s.apply(incident(2))
    second = ambulance(out)
    assert second["unit_id"] == first["unit_id"] and second["eta_s"] > first["eta_s"]
    assert not any(crosses(a["route"]) for a in of(out, "assignments") if a["route"])
    s.apply(back_at_station(first["unit_id"], 2))
    # readings falling leave it closed: only a person reopens
    assert closures(s.apply(water(2, 0.0, minutes=10)))[-1]["state"] == "closed"
    opened = closures(s.apply(command(2, CommandAction.REOPEN_STRUCTURE, reason="물 빠짐")))[-1]
    assert opened["state"] == "open" and opened["previous_state"] == "closed"
    third = ambulance(s.apply(incident(3)))
    assert third["unit_id"] == first["unit_id"] and crosses(third["route"])
    assert third["eta_s"] == first["eta_s"]


def test_the_ambulance_on_its_way_through_is_rerouted_around_the_closure() -> None:
    s = Stage()
    sent = [
        a
        for a in of(s.apply(incident(1)), "assignments")
        if a["status"] == "assigned" and a["unit_kind"] == "ambulance"
    ]
    assert sent and crosses(sent[0]["route"])
    out = s.apply(command(1, CommandAction.CLOSE_STRUCTURE, reason="침수 신고"))
    assert out[0].topic == "road-closures"  # the closure first, then routes
    rerouted = [a for a in of(out, "assignments") if a["unit_id"] == sent[0]["unit_id"]]
    assert len(rerouted) == 1
    new = rerouted[0]
    assert new["status"] == "assigned" and new["rerouted_because"] == UNDERPASS
    assert not crosses(new["route"]) and new["eta_s"] >= sent[0]["eta_s"] - 60
    # applied once: the same command again changes nothing
    assert s.apply(command(1, CommandAction.CLOSE_STRUCTURE, reason="침수 신고")) == []


def test_closures_are_kept_in_the_table_a_restarted_stage_is_built_from() -> None:
    s = Stage()
    s.apply(command(1, CommandAction.CLOSE_STRUCTURE, reason="침수"))
    again = Stage(s.tables)  # a restart: the same tables, recovered from their changelogs
    assert set(again.recommender.closed_edges.tolist()) == set(
        structure_edges(CITY, STRUCTURE).tolist()
    )
    after = of(again.apply(incident(1)), "assignments")
    assert after and not any(crosses(a["route"]) for a in after if a["route"])


def test_thresholds_cite_a_source_or_say_assumption() -> None:
    text = (load_closure_rules.__globals__["RULES_PATH"]).read_text(encoding="utf-8")
    for block in text.split("\n[")[1:]:
        assert "ASSUMPTION" in block or "「" in block or "(" in block, block[:40]


def follow_up() -> FollowUp:
    names = ("overlays-done", "alerts", "drafted", "commands-seen", "alert-silences")
    return FollowUp(CITY, *({} for _ in names))


def test_a_closure_drafts_a_public_detour_notice_and_reopening_withdraws_it() -> None:
    s, follow = Stage(), follow_up()
    out = s.apply(command(1, CommandAction.CLOSE_STRUCTURE, reason="침수"))
    items = [orjson.loads(e.value) for e in out if e.topic == TO_FOLLOW]
    assert [i["closure"]["state"] for i in items] == ["closed"]
    (draft,) = of(follow.apply(items[0], NOW), "alerts")
    assert draft["status"] == "draft" and draft["tier"] == "safety"
    assert draft["incident_id"] == f"CLOSURE-{UNDERPASS}" and draft["hazard"] == "road_closure"
    assert "데모1지하차도" in draft["message"]["ko"] and "우회" in draft["message"]["ko"]
    assert "detour" in draft["message"]["en"]
    assert follow.apply(items[0], NOW) == []  # the same record again: one draft
    out = s.apply(command(2, CommandAction.REOPEN_STRUCTURE, reason="배수 완료"))
    (reopened,) = [orjson.loads(e.value) for e in out if e.topic == TO_FOLLOW]
    (withdrawn,) = of(follow.apply(reopened, NOW), "alerts")
    assert withdrawn["id"] == draft["id"] and withdrawn["status"] == "cancelled"


def test_a_reading_alone_drafts_no_public_notice() -> None:
    s = Stage()
    out = s.apply(water(1, 0.4))
    assert closures(out)[-1]["state"] == "closure_recommended"
    assert [e for e in out if e.topic == TO_FOLLOW] == []


def gauge(n: int, level_m: float, alarm_m: float | None, minutes: int = 0) -> dict[str, Any]:
    """A river gauge 500 m north of the underpass (its flood watch at ``alarm_m``)."""
    at = NOW + timedelta(minutes=minutes)
    lat = STRUCTURE.lat + 500 / 111_000
    return reading_item(
        f"rg-{n}", "WL-STREAM-1", "water_level", level_m, "m", at, STRUCTURE.lon, lat, alarm_m
    )


def test_a_river_near_its_flood_watch_recommends_closing_the_underpass() -> None:
    s = Stage()
    states = [
        closures(s.apply(gauge(i, level, 8.5, i)))[-1]["state"]
        for i, level in enumerate((6.0, 7.6, 8.6))
    ]
    assert states == ["open", "watch", "closure_recommended"]
    record = s.stage.closures.state(UNDERPASS)
    assert record is not None and record["reason"].startswith("하천 수위 8.6 m ≥ 8.5 m")
    (river,) = record["readings"]
    assert river["kind"] == "river_level" and river["watch_at"] == 7.5


def test_a_gauge_without_its_alarm_level_or_far_from_underpasses_changes_nothing() -> None:
    s = Stage()
    assert s.apply(gauge(1, 9.0, None)) == []
    far = reading_item("rg-far", "WL-X", "water_level", 9.0, "m", NOW, 126.95, 37.55, 8.5)
    assert s.apply(far) == []


def test_a_building_smoke_alarm_beside_a_tunnel_recommends_nothing() -> None:
    s = Stage()
    tunnel = structure_by_id(CITY, "ST-T-G230-G231")
    assert tunnel is not None
    alarm = reading_item(
        "smk-1", "SMK-BLDG-9", "smoke_detector", 1.0, "alarm", NOW, tunnel.lon, tunnel.lat, 1.0
    )
    assert s.apply(alarm) == []
    declared = reading_item(
        "smk-2",
        f"SMK-{tunnel.id}",
        "smoke_detector",
        1.0,
        "alarm",
        NOW,
        tunnel.lon,
        tunnel.lat,
        1.0,
    )
    assert closures(s.apply(declared))[-1]["state"] == "closure_recommended"


def unit_report(unit_id: str, status: str, minutes: int, **extra: Any) -> dict[str, Any]:
    at = (NOW + timedelta(minutes=minutes)).isoformat()
    where = {"lon": EAST_OF_IT[0], "lat": EAST_OF_IT[1]}
    body = {"unit_id": unit_id, "at": at, "kind": "ambulance", "status": status}
    return {"unit": body | {"location": where} | extra}


def test_a_patient_on_its_way_through_keeps_its_er_by_a_way_around_the_closure() -> None:
    s = Stage()
    unit_id = ambulance(s.apply(incident(1)))["unit_id"]
    s.apply(unit_report(unit_id, "en_route", 1))
    patient = {"patient": {"condition": "cardiac_arrest", "severity": "critical"}}
    (first,) = of(s.apply(unit_report(unit_id, "on_scene", 5, **patient)), "destinations")
    assert crosses(first["route"])  # the way to its ER is through the underpass
    s.apply(unit_report(unit_id, "transporting", 9))
    out = s.apply(command(1, CommandAction.CLOSE_STRUCTURE, reason="침수 신고"))
    (again,) = of(out, "destinations")
    assert again["unit_id"] == unit_id and again["hospital_id"] == first["hospital_id"]
    assert again["version"] == first["version"] + 1 and again["status"] == first["status"]
    assert not crosses(again["route"]) and UNDERPASS in again["reason"]
    assert not [a for a in of(out, "assignments") if a["unit_id"] == unit_id]  # not to the scene


def test_a_mass_casualty_plan_follows_a_closure_and_its_reopening() -> None:
    s = Stage()
    for hid in s.stage.destinations.hospitals:
        er = {"id": f"ers-{hid}", "hospital_id": hid, "at": NOW.isoformat(), "beds_available": 10}
        s.apply({"er_status": er})
    crowd = incident(1)
    crowd["incident"]["patients"] = 10
    (plan,) = of(s.apply(crowd), "mci-plans")
    drive = {a["hospital_id"]: a["drive_s"] for a in plan["allocations"]}
    nearest = min(drive, key=drive.__getitem__)  # the way to it is through the underpass
    (closed,) = of(s.apply(command(1, CommandAction.CLOSE_STRUCTURE, reason="침수")), "mci-plans")
    after = {a["hospital_id"]: a["drive_s"] for a in closed["allocations"]}
    assert closed["version"] == plan["version"] + 1
    assert nearest not in after or after[nearest] > drive[nearest]
    (opened,) = of(
        s.apply(command(2, CommandAction.REOPEN_STRUCTURE, reason="물 빠짐")), "mci-plans"
    )
    assert opened["allocations"] == plan["allocations"]
