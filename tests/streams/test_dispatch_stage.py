"""The zone hands incident states, unit reports and dispatch commands to the dispatch stage,
which keeps the fleet and answers with assignments and lifecycle feedback for the zone: in
order, each once, and never a unit committed to two incidents (built-in city, dict stores)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from dispatch import Recommender
from streams.contract import Command, CommandAction, IncidentType, UnitStatus, UnitStatusValue
from streams.dispatch_stage import FEEDBACK, DispatchRelay, DispatchStage, dispatch_items
from streams.follow import Relay
from streams.zone import RETAIN_CLOSED, Effect, Zone
from tests.streams.test_followers import CENTRE, CITY, NOW, evidence, of

RECOMMENDER = Recommender(CITY)
RECOMMENDER.prepare_coverage()


class Pipeline:
    """A zone with the relays, and the dispatch stage fed with its items; the stage's
    feedback goes back into the zone as the worker sends it (one hop later)."""

    def __init__(self) -> None:
        self.incidents: dict[str, Any] = {}
        self.tables: dict[str, dict[str, Any]] = {
            n: {} for n in ("units", "assignments", "plans", "commands-seen")
        }
        self.zone = Zone(self.incidents, {}, lambda lon, lat: "중구")
        self.relay = DispatchRelay()
        self.zone.add_follower(self.relay)
        self.zone.add_follower(Relay())
        t = self.tables
        self.stage = DispatchStage(
            CITY,
            RECOMMENDER,
            t["units"],
            t["assignments"],
            t["plans"],
            t["commands-seen"],
            NOW - timedelta(minutes=5),
        )
        self.items: list[bytes] = []
        self.assignments: list[dict[str, Any]] = []

    def hand_over(self, effects: list[Effect]) -> list[Effect]:
        self.items += dispatch_items(effects, self.relay.take_forgotten())
        return effects

    def dispatch(self, items: list[bytes] | None = None) -> list[Effect]:
        """Run the stage over the items (all pending by default), then feed the zone its
        feedback; every effect of both, in order."""
        todo, self.items = (self.items, []) if items is None else (items, self.items)
        out: list[Effect] = []
        for raw in todo:
            out += self.stage.apply(orjson.loads(raw), NOW)
        self.assignments += of(out, "assignments")
        for effect in [e for e in out if e.topic == FEEDBACK]:
            change = orjson.loads(effect.value)["advance"]
            status = UnitStatusValue(change["status"])
            out += self.hand_over(self.zone.advance(change["incident_id"], status, NOW))
        return out

    def command(self, n: int, action: CommandAction, incident_id: str, **kw: Any) -> None:
        cmd = Command(
            id=f"c{n}",
            at=NOW,
            action=action,
            by="dispatcher-1",
            role="dispatcher",
            incident_id=incident_id,
            **kw,
        )
        self.hand_over(self.zone.command(cmd, NOW))


def test_the_zone_publishes_the_incident_and_leaves_recommendations_to_the_dispatch_stage() -> None:
    p = Pipeline()
    effects = p.hand_over(p.zone.evidence(evidence(1, IncidentType.FIRE), NOW))
    assert {e.topic for e in effects} == {"incidents"}
    out = p.dispatch()
    recs = of(out, "assignments")
    assert recs and all(a["status"] == "recommended" for a in recs)
    assert {a["incident_id"] for a in recs} == {of(effects, "incidents")[0]["id"]}


def test_priority_one_is_assigned_at_once_and_the_incident_is_dispatched_one_hop_later() -> None:
    p = Pipeline()
    effects = p.hand_over(p.zone.evidence(evidence(1, IncidentType.CARDIAC_ARREST), NOW))
    assert of(effects, "incidents")[-1]["status"] == "open"
    out = p.dispatch()
    assert "assigned" in {a["status"] for a in of(out, "assignments")}
    assert of(out, "incidents")[-1]["status"] == "dispatched"


def test_accepting_assigns_and_a_refused_unit_is_not_assigned() -> None:
    p = Pipeline()
    effects = p.hand_over(p.zone.evidence(evidence(1, IncidentType.FIRE), NOW))
    inc_id = of(effects, "incidents")[0]["id"]
    recommended = {a["unit_id"] for a in of(p.dispatch(), "assignments")}
    p.command(1, CommandAction.ACCEPT_RECOMMENDATION, inc_id)
    out = p.dispatch()
    assigned = {a["unit_id"] for a in of(out, "assignments") if a["status"] == "assigned"}
    assert assigned and assigned <= recommended
    assert of(out, "incidents")[-1]["status"] == "dispatched"
    # the record relayed again (a crash before its commit): nothing more
    p.command(2, CommandAction.ACCEPT_RECOMMENDATION, inc_id)
    items = list(p.items)
    p.dispatch()
    assert [e for e in p.dispatch(items) if e.topic != "incidents"] == []


def test_a_replayed_record_changes_nothing() -> None:
    p = Pipeline()
    p.hand_over(p.zone.evidence(evidence(1, IncidentType.CARDIAC_ARREST), NOW))
    items = list(p.items)
    first = p.dispatch()
    assert of(first, "assignments")
    again = [e for e in p.dispatch(items) if e.topic != "incidents"]
    assert again == []  # the same records again, as after a crash before the commit


def test_a_unit_report_reaches_the_fleet_and_puts_its_incident_on_scene() -> None:
    p = Pipeline()
    effects = p.hand_over(p.zone.evidence(evidence(1, IncidentType.CARDIAC_ARREST), NOW))
    inc_id = of(effects, "incidents")[0]["id"]
    out = p.dispatch()
    unit_id = next(a["unit_id"] for a in of(out, "assignments") if a["status"] == "assigned")
    for status in ("en_route", "on_scene"):
        report = UnitStatus.model_validate(
            {"unit_id": unit_id, "at": NOW.isoformat(), "kind": "ambulance", "status": status}
        )
        relayed = p.hand_over(p.zone.unit_status(report, NOW))
        assert [e.topic for e in relayed] == ["dispatch"]
    out = p.dispatch()
    assert of(out, "incidents")[-1]["status"] == "on_scene"
    assert p.zone.get(inc_id).incident.status.value == "on_scene"  # type: ignore[union-attr]


def test_a_forgotten_incident_is_forgotten_by_the_dispatch_stage_too() -> None:
    p = Pipeline()
    effects = p.hand_over(p.zone.evidence(evidence(1, IncidentType.FIRE), NOW))
    inc_id = of(effects, "incidents")[0]["id"]
    p.dispatch()
    p.command(1, CommandAction.CLOSE_INCIDENT, inc_id)
    p.hand_over(p.zone.tick(NOW + RETAIN_CLOSED + timedelta(minutes=1)))
    assert orjson.loads(p.items[-1]) == {"forget": inc_id}
    p.dispatch()
    left = {n: v for n, v in p.tables.items() if v and n not in ("units", "commands-seen")}
    assert left == {}, f"state kept about a forgotten incident: {left}"


def committed_twice(assignments: list[dict[str, Any]]) -> list[str]:
    """Units whose ``assigned`` records, in order, commit them to a second incident while
    still committed to a first."""
    holder: dict[str, str] = {}
    twice = []
    for a in assignments:
        unit = a["unit_id"]
        if a["status"] == "assigned":
            if unit in holder and holder[unit] != a["incident_id"]:
                twice.append(unit)
            holder[unit] = a["incident_id"]
        elif a["status"] == "cancelled" and holder.get(unit) == a["incident_id"]:
            del holder[unit]
    return twice


def test_concurrent_incidents_competing_for_the_same_units_never_share_one() -> None:
    """Thirty cardiac arrests at once in one district of a city with seven ambulances: every
    unit is wanted by many of them, and each is committed to one."""
    p = Pipeline()
    for n in range(30):
        lon, lat = CENTRE[0] + (n % 6) * 0.004, CENTRE[1] + (n // 6) * 0.004
        ev = evidence(n, IncidentType.CARDIAC_ARREST)
        ev = replace(ev, at=NOW, lon=lon, lat=lat, type=IncidentType.CARDIAC_ARREST)
        p.hand_over(p.zone.evidence(ev, NOW))
    p.dispatch()
    assigned = [a for a in p.assignments if a["status"] == "assigned"]
    assert len({a["incident_id"] for a in assigned}) >= 7  # the fleet was spent
    assert committed_twice(p.assignments) == []


@settings(max_examples=15, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["incident", "accept", "available"]),
            st.integers(0, 11),
        ),
        min_size=5,
        max_size=40,
    )
)
def test_no_unit_is_ever_committed_to_two_incidents(steps: list[tuple[str, int]]) -> None:
    """Incidents, accepts and crews clearing, in any order: a unit is committed again only
    after it reported itself available."""
    p = Pipeline()
    ids: list[str] = []
    kinds = [IncidentType.FIRE, IncidentType.MEDICAL, IncidentType.CARDIAC_ARREST]
    for n, (step, k) in enumerate(steps):
        if step == "incident":
            kind = kinds[k % 3]
            ev = evidence(100 + n, kind)
            lon, lat = CENTRE[0] + (k % 4) * 0.01, CENTRE[1] + (k // 4) * 0.01
            ev = replace(ev, at=NOW, lon=lon, lat=lat, type=kind)
            effects = p.hand_over(p.zone.evidence(ev, NOW))
            ids += [i["id"] for i in of(effects, "incidents") if i["id"] not in ids]
        elif step == "accept" and ids:
            p.command(n, CommandAction.ACCEPT_RECOMMENDATION, ids[k % len(ids)])
        elif step == "available":
            busy = [a for a in p.assignments if a["status"] == "assigned"]
            if busy:
                unit = busy[k % len(busy)]["unit_id"]
                at = NOW + timedelta(seconds=n)
                report = UnitStatus.model_validate(
                    {
                        "unit_id": unit,
                        "at": at.isoformat(),
                        "status": "available",
                        "kind": p.stage.dispatch.fleet.get(unit).kind,
                    }
                )
                p.hand_over(p.zone.unit_status(report, NOW))
                p.assignments.append({"unit_id": unit, "incident_id": "", "status": "released"})
        p.dispatch()
    holder: dict[str, str] = {}
    for a in p.assignments:
        if a["status"] == "released":
            holder.pop(a["unit_id"], None)
        elif a["status"] == "assigned":
            assert a["unit_id"] not in holder, f"{a['unit_id']} committed to two incidents"
            holder[a["unit_id"]] = a["incident_id"]


def moved(n: int, kind: IncidentType, east_m: float) -> Any:
    """Evidence of ``kind`` ``east_m`` metres east of the centre, now."""
    ev = evidence(n, kind)
    lon = CENTRE[0] + east_m / 88_000  # ~88 km per degree of longitude at Seoul
    return replace(ev, at=NOW, lon=lon, type=kind)


def test_a_stale_recommendation_cannot_commit_a_unit_taken_since() -> None:
    """A fire's units are recommended; a cardiac arrest nearby (priority 1) is assigned some
    of the same units at once; the dispatcher then accepts the fire's recommendation: the
    units taken meanwhile stay with the arrest, the accept says so, and the fire is planned
    again with the units left."""
    p = Pipeline()
    fire = of(p.hand_over(p.zone.evidence(moved(1, IncidentType.FIRE, 0), NOW)), "incidents")
    recommended = {a["unit_id"] for a in of(p.dispatch(), "assignments")}
    p.hand_over(p.zone.evidence(moved(2, IncidentType.CARDIAC_ARREST, 600), NOW))
    taken = {a["unit_id"] for a in of(p.dispatch(), "assignments") if a["status"] == "assigned"}
    contested = taken & recommended
    assert contested, "the arrest should need a unit the fire was recommended"
    p.command(1, CommandAction.ACCEPT_RECOMMENDATION, fire[0]["id"])
    accepted = of(p.dispatch(), "assignments")
    assert not {a["unit_id"] for a in accepted if a["status"] == "assigned"} & contested
    assert committed_twice(p.assignments) == []
    # the dispatcher sees why, on the command's own records, and a fresh recommendation
    refused = [a for a in accepted if a["reason"] and a["reason"].startswith("refused:")]
    assert {a["unit_id"] for a in refused} == contested
    assert all(a["status"] == "cancelled" and a["command_id"] == "c1" for a in refused)
    fresh = [a for a in accepted if a["status"] == "recommended"]
    assert fresh and not {a["unit_id"] for a in fresh} & contested


def test_a_merged_incident_s_committed_units_go_with_it_to_the_survivor() -> None:
    """Units already sent to an incident the dispatcher merges into another now serve the
    survivor: still committed once, and the survivor shows them (dispatched)."""
    p = Pipeline()
    arrest = of(
        p.hand_over(p.zone.evidence(moved(1, IncidentType.CARDIAC_ARREST, 0), NOW)), "incidents"
    )
    taken = {a["unit_id"] for a in of(p.dispatch(), "assignments") if a["status"] == "assigned"}
    assert taken
    other = of(p.hand_over(p.zone.evidence(moved(2, IncidentType.COLLAPSE, 900), NOW)), "incidents")
    p.dispatch()
    p.command(
        1,
        CommandAction.MERGE_INCIDENT,
        arrest[0]["id"],
        into_incident_id=other[0]["id"],
        reason="one building",
    )
    out = p.dispatch()
    moved_in = {
        a["unit_id"]
        for a in of(out, "assignments")
        if a["status"] == "assigned" and a["incident_id"] == other[0]["id"]
    }
    assert taken <= moved_in
    assert committed_twice(p.assignments) == []
    survivor = p.zone.get(other[0]["id"])
    assert survivor is not None and survivor.incident.status.value == "dispatched"


def test_incidents_left_without_a_unit_are_planned_again_as_units_come_free() -> None:
    """Thirty cardiac arrests spend the ambulances; those planned while none was free wait,
    and each crew that clears is sent to the most urgent waiting one, never to a closed one."""
    p = Pipeline()
    ids = []
    for n in range(30):
        ev = evidence(n, IncidentType.CARDIAC_ARREST)
        at = NOW - timedelta(seconds=30 - n)  # the first called is the most urgent
        lon, lat = CENTRE[0] + (n % 6) * 0.004, CENTRE[1] + (n // 6) * 0.004
        ev = replace(ev, at=at, lon=lon, lat=lat, type=IncidentType.CARDIAC_ARREST)
        ids.append(of(p.hand_over(p.zone.evidence(ev, NOW)), "incidents")[0]["id"])
    p.dispatch()
    served = {a["incident_id"] for a in p.assignments if a["status"] == "assigned"}
    waiting = p.stage.dispatch.waiting
    assert waiting and not set(waiting) & served
    assert set(waiting) | served == set(ids)
    # the most urgent waiting incident is closed by a dispatcher: it waits no more
    closed, first, second = waiting[0], waiting[1], waiting[2]
    p.command(900, CommandAction.CLOSE_INCIDENT, closed, reason="caller cancelled")
    p.dispatch()
    assert closed not in p.stage.dispatch.waiting
    # a crew clears: the next most urgent waiting incident gets it
    unit = next(a for a in p.assignments if a["status"] == "assigned")
    report = UnitStatus.model_validate(
        {
            "unit_id": unit["unit_id"],
            "at": NOW.isoformat(),
            "kind": unit["unit_kind"],
            "status": "available",
        }
    )
    p.hand_over(p.zone.unit_status(report, NOW))
    out = p.dispatch()
    sent = {a["incident_id"] for a in of(out, "assignments") if a["status"] == "assigned"}
    assert first in sent and closed not in sent
    assert first not in p.stage.dispatch.waiting and second in p.stage.dispatch.waiting
    assert committed_twice(of(out, "assignments")) == []  # the freed crew goes to one
