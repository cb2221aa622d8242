"""Zones: a border through an emergency still gives the incidents one zone would.

The zones, the merge stage and the steps of a merge run here as in the worker, each zone
its own sequence, with the records between them delivered in an order the test draws.
"""

from __future__ import annotations

import math
import random
from collections import deque
from datetime import datetime, timedelta
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streams.contract import (
    Command,
    CommandAction,
    ContractError,
    IncidentStatus,
    IncidentType,
)
from streams.evidence import Evidence
from streams.fusion import ACTIVE, JOIN_RADIUS_M
from streams.merging import Merger
from streams.zone import TO_MERGE, TO_ZONE, Effect, Zone
from streams.zones import CITY_ZONE, ZoneMap, ZoneSpecError, owner_of, tag
from tests.streams.samples import T0, call_evidence

LAT0, LON0 = 37.55, 126.98
M_LAT = 1 / 111_320
M_LON = 1 / (111_320 * math.cos(math.radians(LAT0)))
BBOX = (LON0, LAT0, LON0 + 12_000 * M_LON, LAT0 + 12_000 * M_LAT)  # 12 km square


def at_m(x: float, y: float) -> tuple[float, float]:
    return LON0 + x * M_LON, LAT0 + y * M_LAT


def evidence(
    n: int, kind: IncidentType, x: float, y: float, minute: float, patients: int = 1
) -> Evidence:
    """A call ``n`` about ``patients``, ``x``, ``y`` metres from the box's south-west corner."""
    return call_evidence(n, minute * 60, *at_m(x, y), kind, patients=patients)


def ruling(cid: str, action: CommandAction, incident_id: str, reason: str, **kw: str) -> Command:
    """A dispatcher's command ``cid`` about ``incident_id``."""
    return Command(
        id=cid,
        at=T0,
        action=action,
        by="d1",
        role="dispatcher",
        incident_id=incident_id,
        reason=reason,
        **kw,
    )


def district(lon: float, lat: float) -> str:
    return "중구"


class Network:
    """K zones and the merge stage, with their records delivered in a drawn order."""

    def __init__(self, zones: ZoneMap, rng: random.Random) -> None:
        self.map = zones
        self.rng = rng
        self.stores: dict[str, dict[str, Any]] = {name: {} for name in zones.names}
        self.zones = {
            name: Zone(self.stores[name], {}, district, name=name, zones=zones)
            for name in zones.names
        }
        self.merger = Merger({})
        self.queues: dict[str, deque[dict[str, Any]]] = {n: deque() for n in [*zones.names, "m"]}
        self.merges_asked = 0

    def send(self, ev: Evidence) -> None:
        self.queues[self.map.home(ev.lon, ev.lat)].append({"evidence": ev})

    def _route(self, effects: list[Effect]) -> None:
        for e in effects:
            if e.topic == TO_ZONE:
                self.queues[e.key].append(orjson.loads(e.value))
            elif e.topic == TO_MERGE:
                self.queues["m"].append(orjson.loads(e.value))

    def step(self, now: datetime) -> bool:
        ready = [name for name, q in self.queues.items() if q]
        if not ready:
            return False
        name = self.rng.choice(ready)
        item = self.queues[name].popleft()
        if name == "m":
            effects = self.merger.on_incident(item["incident"])
            self.merges_asked += len(effects)
        else:
            zone = self.zones[name]
            if "evidence" in item:
                effects = zone.evidence(item["evidence"], now)
            elif "merge_away" in item:
                effects = zone.merge_away(
                    item["merge_away"]["incident_id"], item["merge_away"]["into"], now
                )
            elif "adopt" in item:
                effects = zone.adopt(item["adopt"], now)
            elif "merged" in item:
                effects = zone.merged(item["merged"], now)
            else:
                effects = zone.command(Command.model_validate(item["command"]), now)
        self._route(effects)
        return True

    def run(self, now: datetime, interleave: list[Evidence]) -> None:
        """Send the evidence, a few at a time, while the zones work."""
        pending = deque(interleave)
        while pending or any(self.queues.values()):
            if pending and (self.rng.random() < 0.5 or not any(self.queues.values())):
                self.send(pending.popleft())
            else:
                self.step(now)

    def incidents(self) -> list[Any]:
        out = []
        for zone in self.zones.values():
            for raw in zone._incidents.values():
                out.append(raw["incident"])
        return out


def single_zone(evs: list[Evidence], now: datetime) -> list[Any]:
    store: dict[str, Any] = {}
    zone = Zone(store, {}, district)
    for ev in evs:
        zone.evidence(ev, now)
    return [raw["incident"] for raw in store.values()]


def active_groups(incidents: list[Any]) -> set[frozenset[str]]:
    return {
        frozenset(f"{r['source']}:{r['id']}" for r in inc["evidence"])
        for inc in incidents
        if IncidentStatus(inc["status"]) in ACTIVE
    }


def patients_by_group(incidents: list[Any]) -> dict[frozenset[str], int]:
    """Each active incident's evidence keys and the patients it counts."""
    return {
        frozenset(f"{r['source']}:{r['id']}" for r in inc["evidence"]): inc["patients"]
        for inc in incidents
        if IncidentStatus(inc["status"]) in ACTIVE
    }


def test_layouts_parse_and_name_their_zones() -> None:
    assert ZoneMap.parse("1", BBOX).names == [CITY_ZONE]
    eight = ZoneMap.parse("8", BBOX)
    assert (eight.cols, eight.rows, eight.count) == (4, 2, 8)
    assert ZoneMap.parse("3x2", BBOX).names == ["Z0", "Z1", "Z2", "Z3", "Z4", "Z5"]
    for bad in ("0", "x", "2x0", "5000"):
        with pytest.raises(ZoneSpecError):
            ZoneMap.parse(bad, BBOX)


def test_a_point_has_one_home_and_knows_how_far_the_border_is() -> None:
    grid = ZoneMap.parse("2x2", BBOX)
    assert grid.home(*at_m(1_000, 1_000)) == "Z0"
    assert grid.home(*at_m(11_000, 1_000)) == "Z1"
    assert grid.home(*at_m(1_000, 11_000)) == "Z2"
    assert grid.home(*at_m(-500, 13_000)) == "Z2"  # outside the box: the nearest edge cell
    assert grid.border_distance_m(*at_m(5_900, 1_000)) == pytest.approx(100, abs=2)
    assert grid.border_distance_m(*at_m(1_000, 6_050)) == pytest.approx(50, abs=2)
    assert grid.border_distance_m(*at_m(100, 100)) == pytest.approx(5_900, abs=5)
    assert ZoneMap.parse("1", BBOX).border_distance_m(*at_m(6_000, 6_000)) == math.inf


def test_an_incident_id_names_its_zone() -> None:
    assert owner_of("INC-ABCDEF012345") == CITY_ZONE
    assert tag("INC-ABCDEF012345", "Z5") == "INC-Z5-ABCDEF012345"
    assert owner_of(tag("INC-ABCDEF012345", "Z5")) == "Z5"
    assert tag("INC-ABCDEF012345", CITY_ZONE) == "INC-ABCDEF012345"


def test_two_calls_across_a_border_become_one_incident() -> None:
    """Two calls about one fire 60 m apart, on either side of a border, each opening an
    incident in its zone: the merge stage merges the younger into the older."""
    grid = ZoneMap.parse("2x1", BBOX)
    net = Network(grid, random.Random(1))
    a = evidence(1, IncidentType.FIRE, 5_970, 3_000, 0)
    b = evidence(2, IncidentType.FIRE, 6_030, 3_000, 1)
    assert grid.home(a.lon, a.lat) != grid.home(b.lon, b.lat)
    net.run(T0 + timedelta(minutes=2), [a, b])
    incidents = net.incidents()
    assert active_groups(incidents) == {frozenset({"call:call-1", "call:call-2"})}
    (gone,) = [i for i in incidents if i["merged_into"]]
    (survivor,) = [i for i in incidents if IncidentStatus(i["status"]) in ACTIVE]
    assert gone["evidence"] == [] and gone["merged_into"] == survivor["id"]
    assert owner_of(survivor["id"]) == grid.home(a.lon, a.lat)  # the older survives
    assert survivor["patients"] == 2
    assert [r["action"] for r in survivor["rulings"]] == ["merge_incident"]


def test_calls_far_from_any_border_are_never_announced() -> None:
    grid = ZoneMap.parse("2x1", BBOX)
    zone = Zone({}, {}, district, name="Z0", zones=grid)
    effects = zone.evidence(evidence(1, IncidentType.MEDICAL, 2_000, 3_000, 0), T0)
    assert [e.topic for e in effects] == ["incidents"]
    near = zone.evidence(evidence(2, IncidentType.MEDICAL, 5_900, 3_000, 0), T0)
    assert TO_MERGE in [e.topic for e in near]


def test_a_dispatcher_merge_across_zones_takes_two_steps_and_a_refusal_is_named() -> None:
    grid = ZoneMap.parse("2x1", BBOX)
    net = Network(grid, random.Random(2))
    a = evidence(1, IncidentType.MEDICAL, 1_000, 3_000, 0)
    b = evidence(2, IncidentType.MEDICAL, 11_000, 3_000, 1)
    net.run(T0 + timedelta(minutes=2), [a, b])
    left, right = (net.zones["Z0"], net.zones["Z1"])
    (ia,) = list(net.stores["Z0"])
    (ib,) = list(net.stores["Z1"])
    merge = CommandAction.MERGE_INCIDENT
    command = ruling("cmd-merge-1", merge, ib, "same patient, called twice", into_incident_id=ia)
    net.queues["Z1"].append({"command": command.model_dump(mode="json")})
    net.run(T0 + timedelta(minutes=3), [])
    assert active_groups(net.incidents()) == {frozenset({"call:call-1", "call:call-2"})}
    assert right.get(ib).incident.merged_into == ia
    # into an incident no longer active: refused with the command's id, nothing closed
    c = evidence(3, IncidentType.MEDICAL, 11_000, 5_000, 2)
    net.run(T0 + timedelta(minutes=4), [c])
    (ic,) = [i for i in net.stores["Z1"] if i != ib]
    left.command(ruling("close-a", CommandAction.CLOSE_INCIDENT, ia, "done"), T0)
    late = ruling("cmd-merge-2", merge, ic, "same scene", into_incident_id=ia)
    (ask,) = right.command(late, T0 + timedelta(minutes=5))
    with pytest.raises(ContractError) as refused:
        left.adopt(orjson.loads(ask.value)["adopt"], T0 + timedelta(minutes=5))
    assert refused.value.event_id == "cmd-merge-2"
    assert right.get(ic).incident.status is IncidentStatus.OPEN


KINDS = [IncidentType.FIRE, IncidentType.MEDICAL, IncidentType.TRAFFIC, IncidentType.CARDIAC_ARREST]


@st.composite
def border_clusters(draw: st.DrawFn) -> tuple[ZoneMap, list[Evidence], int]:
    """Clusters of reports about separate emergencies, each centred on a zone border or
    corner (with jitter), each cluster's reports within half its join radius of its centre."""
    cols, rows = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    grid = ZoneMap.parse(f"{cols}x{rows}", BBOX)
    lines_x = [12_000 * c / cols for c in range(1, cols)] or [6_000.0]
    lines_y = [12_000 * r / rows for r in range(1, rows)] or [6_000.0]
    n_clusters = draw(st.integers(1, 5))
    evs: list[Evidence] = []
    used: list[tuple[float, float]] = []
    n = 0
    for c in range(n_clusters):
        kind = KINDS[c % len(KINDS)]
        radius = JOIN_RADIUS_M[kind] / 2
        cx = draw(st.sampled_from(lines_x)) + draw(st.floats(-radius, radius))
        cy = draw(st.sampled_from(lines_y)) + draw(st.floats(-radius, radius))
        if any(math.dist((cx, cy), u) < 1_500 for u in used):
            continue  # emergencies apart: another cluster would be one emergency with it
        used.append((cx, cy))
        for _ in range(draw(st.integers(1, 6))):
            angle = draw(st.floats(0, 2 * math.pi))
            r = draw(st.floats(0, radius * 0.98))
            minute = draw(st.floats(0, 10))
            hurt = draw(st.integers(0, 3))
            n += 1
            x, y = cx + r * math.cos(angle), cy + r * math.sin(angle)
            evs.append(evidence(n, kind, x, y, minute, hurt))
    evs.sort(key=lambda e: e.at)
    return grid, evs, draw(st.integers(0, 2**32 - 1))


# derandomize: CI runs the same 150 cases every time
@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(border_clusters())
def test_borders_through_emergencies_give_the_single_zone_incidents(
    case: tuple[ZoneMap, list[Evidence], int],
) -> None:
    check_borders(case)


def test_three_zones_at_a_corner_count_each_patient_once() -> None:
    """Four fire calls at one point where three zones meet: a report is held by two
    incidents while one merge is on its way and another begins; the survivor ends with
    every report once and 4 patients for 4 one-patient calls (a case the property test
    found, when merges added patient totals)."""
    grid = ZoneMap(bbox=(126.98, 37.55, 127.11596667227681, 37.65779734099892), cols=2, rows=3)
    places = [
        (2, 127.04798945806395, 37.58594000602753, 0),
        (4, 127.04798333613842, 37.585932446999635, 0),
        (1, 127.04797862096336, 37.585940615320034, 60),
        (3, 127.04797862096336, 37.585940615320034, 60),
    ]
    evs = [
        call_evidence(n, at_s, lon, lat, IncidentType.FIRE, patients=1)
        for n, lon, lat, at_s in places
    ]
    check_borders((grid, evs, 0))


def step_items(effects: list[Effect], kind: str) -> list[dict[str, Any]]:
    """The steps of a merge among ``effects`` that are items of ``kind`` (adopt, merged)."""
    out = [orjson.loads(e.value) for e in effects if e.topic == TO_ZONE]
    return [item[kind] for item in out if kind in item]


def settle(
    zones: dict[str, Zone],
    first: list[tuple[str, dict[str, Any]]],
    now: datetime,
    rng: random.Random | None = None,
) -> None:
    """Deliver zone items (zone name, item) and every item they lead to: in order within
    each zone, the zones taking turns in an order ``rng`` draws (else first come first)."""
    queues: dict[str, deque[dict[str, Any]]] = {name: deque() for name in zones}
    arrivals: deque[str] = deque()
    for name, item in first:
        queues[name].append(item)
        arrivals.append(name)
    while any(queues.values()):
        ready = [n for n, q in queues.items() if q]
        name = rng.choice(ready) if rng else next(n for n in arrivals if queues[n])
        item = queues[name].popleft()
        zone = zones[name]
        if "adopt" in item:
            effects = zone.adopt(item["adopt"], now)
        elif "merged" in item:
            effects = zone.merged(item["merged"], now)
        else:
            step = item["merge_away"]
            effects = zone.merge_away(step["incident_id"], step["into"], now)
        for e in effects:
            if e.topic == TO_ZONE:
                queues[e.key].append(orjson.loads(e.value))
                arrivals.append(e.key)


@pytest.mark.parametrize("seed", range(12))
def test_merges_crossing_in_opposite_directions_leave_the_evidence_on_one_incident(
    seed: int,
) -> None:
    """A dispatcher merges B into A while another merges A into B (or a dispatcher merges
    the older into the younger while the merge stage merges the younger into the older):
    each zone takes the other in; the incident of the smaller id stays, the other closes
    into it (each closing into the other left the evidence on no active incident)."""
    grid = ZoneMap.parse("2x1", BBOX)
    stores: dict[str, dict[str, Any]] = {"Z0": {}, "Z1": {}}
    zones = {n: Zone(stores[n], {}, district, name=n, zones=grid) for n in stores}
    now = T0 + timedelta(minutes=3)
    a = zones["Z0"].evidence(evidence(1, IncidentType.FIRE, 1_000, 3_000, 0), now)[0].key
    b = zones["Z1"].evidence(evidence(2, IncidentType.FIRE, 11_000, 3_000, 1), now)[0].key
    merge = CommandAction.MERGE_INCIDENT
    b_into_a = zones["Z1"].command(ruling("m1", merge, b, "same", into_incident_id=a), now)
    a_into_b = zones["Z0"].command(ruling("m2", merge, a, "same", into_incident_id=b), now)
    asks = [(e.key, orjson.loads(e.value)) for e in [*b_into_a, *a_into_b] if e.topic == TO_ZONE]
    settle(zones, asks, now, random.Random(seed))
    incidents = [raw["incident"] for store in stores.values() for raw in store.values()]
    assert active_groups(incidents) == {frozenset({"call:call-1", "call:call-2"})}
    survivor, gone = sorted((a, b))
    assert zones[owner_of(gone)].get(gone).incident.merged_into == survivor  # type: ignore[union-attr]


@pytest.mark.xfail(
    strict=True,
    reason="known defect: one incident merged into two survivors at once (the merge stage's "
    "merge and a dispatcher's, both on their way): each takes its evidence in, the second "
    "reply finds it merged already, and its evidence stays on both survivors",
)
def test_an_incident_merged_two_ways_at_once_ends_on_one_survivor() -> None:
    """A (Z0) is on its way into B (Z1) by the merge stage when a dispatcher merges it into
    C (Z1, a medical call nearby): call-1 must end on one active incident."""
    grid = ZoneMap.parse("2x1", BBOX)
    stores: dict[str, dict[str, Any]] = {"Z0": {}, "Z1": {}}
    zones = {n: Zone(stores[n], {}, district, name=n, zones=grid) for n in stores}
    now = T0 + timedelta(minutes=3)
    a = zones["Z0"].evidence(evidence(1, IncidentType.FIRE, 5_970, 3_000, 0), now)[0].key
    b = zones["Z1"].evidence(evidence(2, IncidentType.FIRE, 6_030, 3_000, 1), now)[0].key
    c = zones["Z1"].evidence(evidence(3, IncidentType.MEDICAL, 7_000, 3_000, 1), now)[0].key
    by_stage = zones["Z0"].merge_away(a, b, now)
    to_c = ruling("m3", CommandAction.MERGE_INCIDENT, a, "same", into_incident_id=c)
    by_dispatcher = zones["Z0"].command(to_c, now)
    asks = [
        (e.key, orjson.loads(e.value)) for e in [*by_stage, *by_dispatcher] if e.topic == TO_ZONE
    ]
    settle(zones, asks, now)
    incidents = [raw["incident"] for store in stores.values() for raw in store.values()]
    held = [k for group in active_groups(incidents) for k in group]
    assert sorted(held) == ["call:call-1", "call:call-2", "call:call-3"]


@pytest.mark.xfail(
    strict=True,
    reason="known defect: a dispatcher splits a report off an incident whose merge into "
    "another zone's is on its way; the survivor takes the report in with the rest, the "
    "reply finds the incident without it, and report and patients stay on both the split-"
    "off incident and the survivor",
)
def test_a_report_split_off_an_incident_on_its_way_into_another_zone_ends_on_one() -> None:
    """B (Z1: call-2 of 2 patients, call-3 of 1) is on its way into C (Z0: call-1) by the
    merge stage when a dispatcher splits call-3 off B: 4 patients, call-3 on one active
    incident."""
    grid = ZoneMap.parse("2x1", BBOX)
    stores: dict[str, dict[str, Any]] = {"Z0": {}, "Z1": {}}
    west, east = (Zone(stores[n], {}, district, name=n, zones=grid) for n in ("Z0", "Z1"))
    now = T0 + timedelta(minutes=3)
    c = west.evidence(evidence(1, IncidentType.FIRE, 5_970, 3_000, 0), now)[0].key
    b = east.evidence(evidence(2, IncidentType.FIRE, 6_030, 3_000, 1, patients=2), now)[0].key
    east.evidence(evidence(3, IncidentType.FIRE, 6_040, 3_010, 1.5), now)
    asks = [
        (e.key, orjson.loads(e.value)) for e in east.merge_away(b, c, now) if e.topic == TO_ZONE
    ]
    split = {"id": "s1", "at": T0, "action": "split_evidence", "by": "d1", "role": "dispatcher"}
    split |= {"incident_id": b, "reason": "another fire", "evidence_ids": ["call-3"]}
    east.command(Command.model_validate(split), now)
    settle({"Z0": west, "Z1": east}, asks, now)
    incidents = [raw["incident"] for store in stores.values() for raw in store.values()]
    held = [k for group in active_groups(incidents) for k in group]
    assert sorted(held) == ["call:call-1", "call:call-2", "call:call-3"]
    assert sum(i["patients"] for i in incidents if IncidentStatus(i["status"]) in ACTIVE) == 4


def check_borders(case: tuple[ZoneMap, list[Evidence], int]) -> None:
    """The zones' incidents equal the single zone's, every report and patient counted once."""
    grid, evs, seed = case
    now = T0 + timedelta(minutes=12)
    expected = patients_by_group(single_zone(evs, now))
    net = Network(grid, random.Random(seed))
    net.run(now, evs)
    incidents = net.incidents()
    assert patients_by_group(incidents) == expected
    counted = [
        k
        for inc in incidents
        if inc["status"] != "closed"
        for k in (f"{r['source']}:{r['id']}" for r in inc["evidence"])
    ]
    assert len(counted) == len(set(counted)) == len(evs)  # every report counted once
    patients = sum(i["patients"] for i in incidents if IncidentStatus(i["status"]) in ACTIVE)
    assert patients == sum(ev.patients for ev in evs)  # every patient counted once
    for inc in incidents:
        assert owner_of(inc["id"]) in grid.names
        if inc["merged_into"]:
            assert inc["evidence"] == [] and inc["status"] == "closed"


def test_a_dispatcher_merge_of_two_incidents_holding_one_report_counts_it_once() -> None:
    """A border merge has taken call-3 into C while its reply is on its way, so C and B both
    hold it; a dispatcher merges B into A, then C into A: A ends with each of the three
    one-patient calls once and 3 patients (adding totals gave 4)."""
    grid = ZoneMap.parse("2x1", BBOX)
    stores: dict[str, dict[str, Any]] = {"Z0": {}, "Z1": {}}
    west, east = (Zone(stores[n], {}, district, name=n, zones=grid) for n in ("Z0", "Z1"))
    now = T0 + timedelta(minutes=3)

    def items(effects: list[Effect], kind: str) -> list[dict[str, Any]]:
        out = [orjson.loads(e.value) for e in effects if e.topic == TO_ZONE]
        return [item[kind] for item in out if kind in item]

    a = west.evidence(evidence(1, IncidentType.FIRE, 1_000, 3_000, 0), now)[0].key
    c = west.evidence(evidence(2, IncidentType.FIRE, 5_970, 3_000, 0), now)[0].key
    b = east.evidence(evidence(3, IncidentType.FIRE, 6_030, 3_000, 1), now)[0].key
    (ask,) = items(east.merge_away(b, c, now), "adopt")
    (reply_to_c,) = items(west.adopt(ask, now), "merged")  # held back: B still holds call-3
    b_into_a = ruling("cmd-ba", CommandAction.MERGE_INCIDENT, b, "same fire", into_incident_id=a)
    (ask,) = items(east.command(b_into_a, now), "adopt")
    (reply_to_a,) = items(west.adopt(ask, now), "merged")
    east.merged(reply_to_a, now)
    assert east.merged(reply_to_c, now) == []  # B is merged already
    c_into_a = ruling("cmd-ca", CommandAction.MERGE_INCIDENT, c, "same fire", into_incident_id=a)
    west.command(c_into_a, now)
    incidents = [raw["incident"] for store in stores.values() for raw in store.values()]
    assert active_groups(incidents) == {frozenset({"call:call-1", "call:call-2", "call:call-3"})}
    survivor = west.get(a)
    assert survivor is not None and survivor.incident.patients == 3


def test_a_merge_in_flight_when_a_worker_restarts_on_older_tables_counts_patients_once() -> None:
    """The zone topic and the tables hold records written without per-report figures (an
    adopt item with ``patients_held``, a reply with ``patients``, a stored state with only
    its total): B's two patients load as its unattributed total, sent twice (the second
    time with call-3, which B gained meanwhile) and counted once: C ends with 1 + 2 + 1."""
    grid = ZoneMap.parse("2x1", BBOX)
    stores: dict[str, dict[str, Any]] = {"Z0": {}, "Z1": {}}
    west = Zone(stores["Z0"], {}, district, name="Z0", zones=grid)
    east = Zone(stores["Z1"], {}, district, name="Z1", zones=grid)
    now = T0 + timedelta(minutes=3)

    def item(effects: list[Effect], kind: str) -> dict[str, Any]:
        (found,) = [orjson.loads(e.value)[kind] for e in effects if e.topic == TO_ZONE]
        return found  # type: ignore[no-any-return]

    c = west.evidence(evidence(1, IncidentType.FIRE, 5_970, 3_000, 0), now)[0].key
    b = east.evidence(evidence(2, IncidentType.FIRE, 6_030, 3_000, 1, patients=2), now)[0].key
    ask = item(east.merge_away(b, c, now), "adopt")
    del ask["state"]["patients_by_report"]
    ask["patients_held"] = 0
    del stores["Z1"][b]["patients_by_report"]
    east = Zone(stores["Z1"], {}, district, name="Z1", zones=grid)  # restarted
    east.evidence(evidence(3, IncidentType.FIRE, 6_040, 3_010, 2), now)
    reply = item(west.adopt(ask, now), "merged")
    reply["patients"] = 2
    again = item(east.merged(reply, now), "adopt")
    assert item(west.adopt(again, now), "merged")["keys"] == ["call:call-2", "call:call-3"]
    assert west.adopt(again, now) == []  # a replay of the same step
    survivor = west.get(c)
    assert survivor is not None and survivor.incident.patients == 4
    assert [r.id for r in survivor.incident.evidence] == ["call-1", "call-2", "call-3"]


def test_an_incident_that_ends_while_it_is_being_merged_still_gives_its_evidence_up() -> None:
    """The survivor's zone took an incident in, and before the reply arrives the incident
    is closed (a dispatcher, or ageing): it ends merged, holding nothing, so the evidence
    is counted once, by the survivor."""
    grid = ZoneMap.parse("2x1", BBOX)
    net = Network(grid, random.Random(3))
    a = evidence(1, IncidentType.FIRE, 5_970, 3_000, 0)
    b = evidence(2, IncidentType.FIRE, 6_030, 3_000, 1)
    net.send(a)
    net.send(b)
    while net.queues["Z0"] or net.queues["Z1"]:
        net.step(T0)
    while not any("merged" in item for item in net.queues["Z1"]):
        assert net.step(T0)
    (gone_id,) = list(net.stores["Z1"])
    close = ruling("close-b", CommandAction.CLOSE_INCIDENT, gone_id, "duplicate call")
    net.zones["Z1"].command(close, T0)
    net.run(T0, [])
    gone = net.zones["Z1"].get(gone_id).incident
    assert gone.merged_into is not None and gone.evidence == []
    assert active_groups(net.incidents()) == {frozenset({"call:call-1", "call:call-2"})}
