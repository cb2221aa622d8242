"""The right emergency room for each patient, through the real broker and worker on Seoul:
a cardiac arrest whose nearest ER cannot do PCI goes to one that can, stale status is
flagged, an ER reporting zero beds gets no patient until it reports again, and a 30-patient
crowd crush is spread over hospitals within the beds each reported."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from dispatch import load_er_rules, registry
from geo import City
from stack.settings import SEOUL_PACK, Settings
from streams.topics import Topics
from tests.conftest import start_worker
from tests.integration.scenario_events import ALLEY, KST, at, call, final_states
from tests.kafka_io import produce, read_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]
RULES = load_er_rules()


@pytest.fixture(scope="module")
def seoul() -> City:
    from geo import load_city

    return load_city(SEOUL_PACK)


@pytest.fixture
def on_seoul(settings: Settings, tmp_path: Path) -> Iterator[Settings]:
    """A worker on Seoul (the city pack shipped in the repository) for this deployment."""
    seoul_settings = settings.replace(data_dir=SEOUL_PACK)
    proc = start_worker(seoul_settings, tmp_path, timeout_s=120)
    try:
        yield seoul_settings
    finally:
        proc.stop()


def er_status(hid: str, beds: int, when: datetime, n: int = 0) -> tuple[bytes, dict[str, Any]]:
    value = {
        "id": f"ers-{hid}-{n}",
        "hospital_id": hid,
        "at": when.isoformat(),
        "beds_available": beds,
        "beds_total": 20,
        "source": "test",
    }
    return hid.encode(), value


def unit_report(
    unit: str, status: str, incident_id: str, where: tuple[float, float], t: str, **extra: Any
) -> tuple[bytes, dict[str, Any]]:
    value = {
        "unit_id": unit,
        "at": t,
        "kind": "ambulance",
        "station_id": "ST-TEST",
        "status": status,
        "incident_id": incident_id,
        "location": {"lon": where[0], "lat": where[1]},
        **extra,
    }
    return unit.encode(), value


async def incident_of(settings: Settings, call_id: str) -> dict[str, Any]:
    """The incident that counts ``call_id``."""
    t = Topics(settings.topic_prefix)

    def counted(records: list[dict[str, Any]]) -> bool:
        return any(e["id"] == call_id for r in records for e in r["evidence"])

    records = await read_until(settings.kafka_bootstrap, t.incidents, counted, 60)
    states = final_states(records)
    return next(s for s in states.values() if any(e["id"] == call_id for e in s["evidence"]))


async def contact(
    settings: Settings,
    unit: str,
    incident_id: str,
    where: tuple[float, float],
    patient: dict[str, Any],
) -> dict[str, Any]:
    """A crew reaches the scene and reports its patient; return the destination it gets."""
    t = Topics(settings.topic_prefix)
    reports = [
        unit_report(unit, "en_route", incident_id, where, at(-60)),
        unit_report(unit, "on_scene", incident_id, where, at(-1), patient=patient),
    ]
    produce(settings.kafka_bootstrap, t.unit_status, reports)
    records = await read_until(
        settings.kafka_bootstrap,
        t.destinations,
        lambda r: any(d["unit_id"] == unit for d in r),
        60,
    )
    return next(d for d in records if d["unit_id"] == unit)


def nearest_without_pci(seoul: City) -> tuple[str, tuple[float, float]]:
    """An ER that cannot do PCI and is the nearest ER by road from its own door."""
    hospitals = registry(seoul.facilities, RULES)
    roads = seoul.roads
    nodes = {hid: roads.snap(h.lon, h.lat).node for hid, h in hospitals.items()}
    for hid, h in sorted(hospitals.items()):
        if "pci" in h.capabilities:
            continue
        times = roads.times_from(nodes[hid])
        if min(nodes, key=lambda k: times[nodes[k]]) == hid:
            return hid, (h.lon, h.lat)
    raise AssertionError("every ER without PCI has another ER nearer")


@pytest.mark.timeout(240)
async def test_each_patient_goes_to_an_er_that_can_take_them(
    on_seoul: Settings, seoul: City
) -> None:
    settings = on_seoul
    t = Topics(settings.topic_prefix)
    hospitals = registry(seoul.facilities, RULES)
    small, scene = nearest_without_pci(seoul)
    now = datetime.now(KST)
    stale_at = now - timedelta(seconds=RULES.stale_after_s + 600)
    far = sorted(h for h in hospitals if h != small)[-1]  # one ER reported long ago
    reports = [er_status(h, 5, stale_at if h == far else now) for h in sorted(hospitals)]
    produce(settings.kafka_bootstrap, t.er_status, reports)
    produce(
        settings.kafka_bootstrap,
        t.calls,
        [(b"c-arrest", call("c-arrest", *scene, "cardiac_arrest", at(-120)))],
    )
    incident = await incident_of(settings, "c-arrest")

    arrest = await contact(
        settings,
        "AMB-T-1",
        incident["id"],
        scene,
        {"condition": "cardiac_arrest", "severity": "critical"},
    )
    assert arrest["hospital_id"] != small and "pci" in hospitals[arrest["hospital_id"]].capabilities
    assert arrest["needs"] == ["pci"] and arrest["status"] == "recommended"
    assert arrest["route"]["type"] == "LineString" and arrest["eta_s"] > 0
    ranked = {r["hospital_id"]: r for r in arrest["ranked"]}
    assert not ranked[small]["capable"]

    minor = {"condition": "minor", "severity": "minor"}
    first = await contact(settings, "AMB-T-2", incident["id"], scene, minor)
    assert first["hospital_id"] == small, "a minor patient goes to the nearest ER"

    # stale status is flagged wherever it is listed, never shown as fresh beds
    everyone = await contact(
        settings, "AMB-T-3", incident["id"], scene, {"condition": "medical", "severity": "minor"}
    )
    listed = {r["hospital_id"]: r for r in everyone["ranked"]}
    if far in listed:
        assert listed[far]["stale"] and listed[far]["status_age_s"] > RULES.stale_after_s
    assert not any(r["stale"] for h, r in listed.items() if h != far)

    # the crew takes another ER from the list with one tap: a choose_destination command
    other = next(r["hospital_id"] for r in arrest["ranked"][1:] if r["capable"])
    choice = {
        "id": "cmd-choose-1",
        "at": at(0),
        "action": "choose_destination",
        "by": "crew-AMB-T-1",
        "role": "crew",
        "incident_id": incident["id"],
        "unit_id": "AMB-T-1",
        "hospital_id": other,
    }
    produce(settings.kafka_bootstrap, t.commands, [(b"city", choice)] * 2)  # and a replay
    records = await read_until(
        settings.kafka_bootstrap,
        t.destinations,
        lambda r: any(d.get("command_id") == "cmd-choose-1" for d in r),
        60,
    )
    (changed,) = [d for d in records if d.get("command_id") == "cmd-choose-1"]
    assert changed["status"] == "changed" and changed["hospital_id"] == other
    assert changed["version"] == arrest["version"] + 1

    produce(settings.kafka_bootstrap, t.er_status, [er_status(small, 0, datetime.now(KST), 1)])
    second = await contact(settings, "AMB-T-4", incident["id"], scene, minor)
    assert second["hospital_id"] != small
    assert small not in {r["hospital_id"] for r in second["ranked"]}

    produce(settings.kafka_bootstrap, t.er_status, [er_status(small, 3, datetime.now(KST), 2)])
    third = await contact(settings, "AMB-T-5", incident["id"], scene, minor)
    assert third["hospital_id"] == small, "it receives patients again once it reports beds"
    records = await read_until(  # in one incident's order: the replay came before
        settings.kafka_bootstrap,
        t.destinations,
        lambda r: any(d["unit_id"] == "AMB-T-5" for d in r),
        30,
    )
    assert sum(d.get("command_id") == "cmd-choose-1" for d in records) == 1, "replay doubled"


@pytest.mark.timeout(300)
async def test_a_thirty_patient_crowd_crush_is_spread_within_reported_capacity(
    on_seoul: Settings, seoul: City
) -> None:
    settings = on_seoul
    t = Topics(settings.topic_prefix)
    hospitals = registry(seoul.facilities, RULES)
    now = datetime.now(KST)
    capacity = {h: 1 + i % 4 for i, h in enumerate(sorted(hospitals))}
    reports = [er_status(h, beds, now) for h, beds in capacity.items()]
    produce(settings.kafka_bootstrap, t.er_status, reports)
    crush = call("crush-1", *ALLEY, "crowd", at(-300), patients=30)
    produce(
        settings.kafka_bootstrap,
        t.calls,
        [(b"crush-1", {**crush, "description": "압사 사고 30명 넘게 쓰러졌어요"})],
    )
    incident = await incident_of(settings, "crush-1")
    assert incident["patients"] == 30

    plans = await read_until(
        settings.kafka_bootstrap,
        t.mci_plans,
        lambda r: any(p["incident_id"] == incident["id"] for p in r),
        60,
    )
    plan = max((p for p in plans if p["incident_id"] == incident["id"]), key=lambda p: p["version"])
    assert plan["patients_total"] == 30 and plan["unallocated"] == 0
    assert len(plan["allocations"]) >= 5

    severities = ["critical"] * 6 + ["serious"] * 9 + ["minor"] * 15
    reports_out = []
    for n, severity in enumerate(severities):
        condition = "major_trauma" if severity == "critical" else "medical"
        patient = {"condition": condition, "severity": severity}
        reports_out += [
            unit_report(f"AMB-C-{n:02d}", "en_route", incident["id"], ALLEY, at(-120)),
            unit_report(
                f"AMB-C-{n:02d}", "on_scene", incident["id"], ALLEY, at(-2), patient=patient
            ),
        ]
    produce(settings.kafka_bootstrap, t.unit_status, reports_out)
    records = await read_until(
        settings.kafka_bootstrap,
        t.destinations,
        lambda r: len({d["unit_id"] for d in r if d["incident_id"] == incident["id"]}) == 30,
        120,
    )
    received: dict[str, int] = {}
    for d in records:
        if d["incident_id"] == incident["id"]:
            assert d["mass_casualty"]
            received[d["hospital_id"]] = received.get(d["hospital_id"], 0) + 1
    assert len(received) >= 5, received
    over = {h: (n, capacity[h]) for h, n in received.items() if n > capacity[h]}
    assert not over, f"hospitals sent more than their reported beds: {over}"

    def all_sent(plans: list[dict[str, Any]]) -> bool:
        return any(
            p["incident_id"] == incident["id"]
            and sum(sum(a["planned"].values()) for a in p["allocations"]) == 30
            and p["unallocated"] == 0
            and {a["hospital_id"] for a in p["allocations"]} == set(received)
            for p in plans
        )

    plans = await read_until(settings.kafka_bootstrap, t.mci_plans, all_sent, 30)
    latest = max(
        (p for p in plans if p["incident_id"] == incident["id"]), key=lambda p: p["version"]
    )
    planned = {a["hospital_id"]: sum(a["planned"].values()) for a in latest["allocations"]}
    assert planned == received


@pytest.mark.timeout(240)
async def test_bad_er_status_ends_on_the_dead_letter_topic_with_why(
    on_seoul: Settings,
) -> None:
    settings = on_seoul
    t = Topics(settings.topic_prefix)
    bad = [
        er_status("NOT-AN-ER", 3, datetime.now(KST)),
        (
            b"A1100011",
            {"id": "ers-neg", "hospital_id": "A1100011", "at": at(0), "beds_available": -2},
        ),
    ]
    produce(settings.kafka_bootstrap, t.er_status, bad)
    letters = await read_until(settings.kafka_bootstrap, t.deadletter, lambda r: len(r) >= 2, 60)
    errors = " | ".join(letter["error"] for letter in letters)
    assert "unknown hospital NOT-AN-ER" in errors and "beds_available" in errors


@pytest.mark.timeout(420)
async def test_a_killed_worker_keeps_the_plan_and_no_replay_doubles_a_patient(
    settings: Settings, tmp_path: Path, seoul: City
) -> None:
    settings = settings.replace(data_dir=SEOUL_PACK)
    t = Topics(settings.topic_prefix)
    hospitals = registry(seoul.facilities, RULES)
    capacity = {h: 1 + i % 3 for i, h in enumerate(sorted(hospitals))}
    produce(
        settings.kafka_bootstrap,
        t.er_status,
        [er_status(h, b, datetime.now(KST)) for h, b in capacity.items()],
    )
    crush = call("crush-2", *ALLEY, "crowd", at(-300), patients=30)
    produce(settings.kafka_bootstrap, t.calls, [(b"crush-2", crush)])
    contacts = []
    for n in range(30):
        severity = ("critical", "serious", "minor", "minor")[n % 4]
        contacts.append((f"AMB-R-{n:02d}", {"condition": "medical", "severity": severity}))

    def reports(
        part: list[tuple[str, dict[str, Any]]], incident_id: str
    ) -> list[tuple[bytes, dict[str, Any]]]:
        out = []
        for unit, patient in part:
            out += [
                unit_report(unit, "en_route", incident_id, ALLEY, at(-200)),
                unit_report(unit, "on_scene", incident_id, ALLEY, at(-100), patient=patient),
            ]
        return out

    def units_with_destination(records: list[dict[str, Any]]) -> set[str]:
        return {d["unit_id"] for d in records if d["unit_id"].startswith("AMB-R-")}

    first = start_worker(settings, tmp_path, timeout_s=120)
    try:
        incident = await incident_of(settings, "crush-2")
        sent_first = reports(contacts[:15], incident["id"])
        produce(settings.kafka_bootstrap, t.unit_status, sent_first)
        await read_until(
            settings.kafka_bootstrap,
            t.destinations,
            lambda r: len(units_with_destination(r)) == 15,
            90,
        )
    finally:
        first.kill()
    second = start_worker(settings, tmp_path, timeout_s=120)
    try:
        # the first fifteen again (a sender's replay), then the other fifteen
        produce(settings.kafka_bootstrap, t.unit_status, sent_first[1::2])
        produce(settings.kafka_bootstrap, t.unit_status, reports(contacts[15:], incident["id"]))
        records = await read_until(
            settings.kafka_bootstrap,
            t.destinations,
            lambda r: len(units_with_destination(r)) == 30,
            120,
        )
    finally:
        second.stop()
    issued: dict[str, set[str]] = {}
    for d in records:
        if d["unit_id"].startswith("AMB-R-"):
            issued.setdefault(d["unit_id"], set()).add(d["issued_at"])
    doubled = {u: sorted(times) for u, times in issued.items() if len(times) > 1}
    assert not doubled, f"a replayed or re-read contact was decided again: {doubled}"
    decisions = {
        (d["unit_id"], d["version"]): d["hospital_id"]
        for d in records
        if d["unit_id"].startswith("AMB-R-")
    }
    assert all(version == 1 for _, version in decisions), "a replayed contact made a new decision"
    received: dict[str, int] = {}
    for (_, _), hid in decisions.items():
        received[hid] = received.get(hid, 0) + 1
    assert sum(received.values()) == 30 and len(received) >= 5
    over = {h: (n, capacity[h]) for h, n in received.items() if n > capacity[h]}
    assert not over, f"the restarted worker forgot patients already sent: {over}"


def lone_pci_er(seoul: City) -> tuple[str, tuple[float, float]]:
    """A PCI-capable ER with no other ER within 4 minutes' drive of its door (so that a
    patient met there goes there, however many already do)."""
    hospitals = registry(seoul.facilities, RULES)
    roads = seoul.roads
    nodes = {hid: roads.snap(h.lon, h.lat).node for hid, h in hospitals.items()}
    for hid, h in sorted(hospitals.items()):
        if "pci" not in h.capabilities:
            continue
        times = roads.times_from(nodes[hid])
        if min(float(times[n]) for k, n in nodes.items() if k != hid) > 240:
            return hid, (h.lon, h.lat)
    raise AssertionError("every PCI-capable ER has another ER within 4 minutes")


async def handed_over(settings: Settings, unit: str, incident_id: str, hid: str) -> None:
    """Wait until the worker holds the unit's handover: a crew's choice of ER for its
    patient is refused as too late (asked again while a choice is still taken)."""
    t = Topics(settings.topic_prefix)
    for n in range(20):
        cid = f"cmd-{unit}-late-{n}"
        choice = {"id": cid, "at": at(0), "action": "choose_destination", "by": f"crew-{unit}"}
        choice |= {"role": "crew", "incident_id": incident_id, "unit_id": unit, "hospital_id": hid}
        produce(settings.kafka_bootstrap, t.commands, [(b"city", choice)])

        def refused(letters: list[dict[str, Any]], cid: str = cid) -> bool:
            return any(cid in str(x.get("payload")) and "handed" in x["error"] for x in letters)

        try:
            await read_until(settings.kafka_bootstrap, t.deadletter, refused, 5)
            return
        except AssertionError:
            continue  # taken as a choice: the handover is not held yet
    raise AssertionError(f"the handover of {unit} was never held")


@pytest.mark.timeout(300)
async def test_an_ambulance_on_its_way_is_diverted_once_when_its_er_reports_zero_beds(
    on_seoul: Settings, seoul: City
) -> None:
    settings = on_seoul
    t = Topics(settings.topic_prefix)
    hospitals = registry(seoul.facilities, RULES)
    hid, door = lone_pci_er(seoul)
    scene = (door[0] + 0.0004, door[1])
    produce(
        settings.kafka_bootstrap,
        t.er_status,
        [er_status(h, 5, datetime.now(KST)) for h in sorted(hospitals)],
    )
    produce(
        settings.kafka_bootstrap,
        t.calls,
        [(b"c-divert", call("c-divert", *scene, "cardiac_arrest", at(-300)))],
    )
    incident = await incident_of(settings, "c-divert")
    stemi = {"condition": "stemi", "severity": "critical"}
    first = await contact(settings, "AMB-D-1", incident["id"], scene, stemi)
    arrived = await contact(settings, "AMB-D-2", incident["id"], scene, stemi)
    assert first["hospital_id"] == arrived["hospital_id"] == hid
    produce(
        settings.kafka_bootstrap,
        t.unit_status,
        [
            unit_report("AMB-D-1", "transporting", incident["id"], scene, at(0)),
            unit_report("AMB-D-2", "transporting", incident["id"], scene, at(0)),
            unit_report("AMB-D-2", "at_hospital", incident["id"], door, at(1)),
        ],
    )

    def diverted(unit: str, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [d for d in records if d["unit_id"] == unit and d.get("diverted_from")]

    await handed_over(settings, "AMB-D-2", incident["id"], hid)
    zero = er_status(hid, 0, datetime.now(KST), 1)
    produce(settings.kafka_bootstrap, t.er_status, [zero, zero])  # and a replay
    records = await read_until(
        settings.kafka_bootstrap, t.destinations, lambda r: bool(diverted("AMB-D-1", r)), 60
    )
    (moved,) = diverted("AMB-D-1", records)
    assert moved["diverted_from"] == hid and moved["diverted_because"] == "zero_beds"
    assert moved["er_status_id"] == f"ers-{hid}-1" and moved["status"] == "recommended"
    assert moved["hospital_id"] != hid and "pci" in hospitals[moved["hospital_id"]].capabilities
    assert moved["version"] == first["version"] + 1 and moved["eta_s"] > 0

    # after the replay (same hospital, same partition): beds again, a new patient, zero again
    produce(settings.kafka_bootstrap, t.er_status, [er_status(hid, 5, datetime.now(KST), 2)])
    third = await contact(settings, "AMB-D-3", incident["id"], scene, stemi)
    assert third["hospital_id"] == hid
    produce(settings.kafka_bootstrap, t.er_status, [er_status(hid, 0, datetime.now(KST), 3)])
    records = await read_until(
        settings.kafka_bootstrap, t.destinations, lambda r: bool(diverted("AMB-D-3", r)), 60
    )
    assert len(diverted("AMB-D-1", records)) == 1, "a replayed report diverted it twice"
    assert diverted("AMB-D-2", records) == [], "a unit at the hospital was diverted"
