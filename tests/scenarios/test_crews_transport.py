"""Simulated crews and emergency rooms: a crew reports its patient on contact and takes it
to the ER its destination names (else the nearest); ERs fill, free up and report, and an
ER that stops reporting leaves a gap."""

from __future__ import annotations

import itertools
import random
from dataclasses import replace
from typing import Any

from dispatch import load_er_rules, registry
from geo import City, load_city
from scenarios.crews import CrewSimulator
from scenarios.er_board import ErBoard
from scenarios.pace import load_pace
from scenarios.patients import draw_patient, load_patients_config
from scenarios.schedule import Schedule


def grid() -> City:
    return load_city(None)


def crew(city: City) -> tuple[CrewSimulator, Schedule, ErBoard]:
    times = replace(load_pace().crews, transport_share=1.0)
    schedule = Schedule()
    board = ErBoard(registry(city.facilities, load_er_rules()), seed=7)
    return CrewSimulator(city, times, random.Random(3), schedule, board), schedule, board


def play(sim: CrewSimulator, schedule: Schedule, until_s: float) -> list[dict[str, Any]]:
    out = []
    while due := schedule.pop_due(until_s):  # a release may schedule more
        for event in due:
            value = sim.release(event.value, event.at_s)
            if value is not None:
                out.append(value)
    return out


def assignment(city: City) -> dict[str, Any]:
    station = city.stations[0]
    unit = next(u for s in city.stations for u in s.units if u.kind == "ambulance")
    return {
        "incident_id": "INC-1",
        "unit_id": unit.unit_id,
        "status": "assigned",
        "unit_kind": "ambulance",
        "eta_s": 300,
        "route": {"type": "LineString", "coordinates": [[station.lon, station.lat]] * 2},
    }


def test_a_crew_reports_its_patient_and_takes_it_to_its_destination() -> None:
    city = grid()
    sim, schedule, board = crew(city)
    sim.on_incident({"id": "INC-1", "type": "cardiac_arrest"})
    order = assignment(city)
    sim.on_assignment(order, 0.0)
    reports = play(sim, schedule, 400.0)
    (contact,) = [r for r in reports if r["status"] == "on_scene"]
    assert contact["patient"] == {"condition": "cardiac_arrest", "severity": "critical", "count": 1}
    far = max(registry(city.facilities, load_er_rules()).values(), key=lambda h: h.lat)
    sim.on_destination({"unit_id": order["unit_id"], "incident_id": "INC-1", "hospital_id": far.id})
    reports = play(sim, schedule, 10_000.0)
    statuses = [r["status"] for r in reports]
    assert statuses[:2] == ["transporting", "at_hospital"]
    handover = reports[1]
    assert (handover["location"]["lon"], handover["location"]["lat"]) == (
        round(far.lon, 6),
        round(far.lat, 6),
    )
    assert "hospital" not in handover and sim.counts["to_destination"] == 1
    assert board.over_capacity + board.free(far.id, 5_000.0) < board.total[far.id]


def test_without_a_destination_the_crew_takes_the_nearest_er() -> None:
    city = grid()
    sim, schedule, _ = crew(city)
    order = assignment(city)
    sim.on_assignment(order, 0.0)
    reports = play(sim, schedule, 10_000.0)
    assert "patient" in next(r for r in reports if r["status"] == "on_scene")
    assert sim.counts["to_destination"] == 0 and sim.counts["transports"] == 1


def test_er_board_reports_every_few_minutes_and_lapses_sometimes() -> None:
    city = load_city(None)
    hospitals = registry(city.facilities, load_er_rules())
    board = ErBoard(hospitals, seed=1)
    cfg = load_patients_config()["er_board"]
    times: dict[str, list[float]] = {h: [] for h in hospitals}
    for minute in range(0, 24 * 60, 1):
        for at_s, value in board.reports(minute * 60.0):
            assert 0 <= value["beds_available"] <= board.total[value["hospital_id"]]
            times[value["hospital_id"]].append(at_s)
    gaps = [b - a for t in times.values() for a, b in itertools.pairwise(t)]
    assert min(gaps) >= cfg["report_s"] - 1e-6
    assert max(gaps) > load_er_rules().stale_after_s, "some report lapses (status goes stale)"
    hid = next(iter(hospitals))
    before = board.free(hid, 90_000.0)
    board.admit(hid, 90_000.0, 3600.0)
    assert board.free(hid, 90_000.0) == before - 1
    assert board.free(hid, 90_000.0 + 3601.0) >= before - 1


def test_patient_draws_follow_the_shares() -> None:
    rng = random.Random(5)
    draws = [draw_patient("medical", rng) for _ in range(5000)]
    stemi = sum(d.condition == "stemi" for d in draws) / len(draws)
    assert 0.02 < stemi < 0.04
    assert draw_patient("no-such-type", rng).condition in {"medical", "minor"}


def test_a_crew_rerouted_on_its_way_arrives_when_the_new_route_gets_there() -> None:
    city = grid()
    sim, schedule, _ = crew(city)
    order = assignment(city)
    sim.on_assignment(order, 0.0)  # leaves at 1 s, would arrive at 301 s
    assert [r["status"] for _, r in _timed(sim, schedule, 100.0)] == ["en_route"]
    sim.on_assignment({**order, "eta_s": 420, "rerouted_because": "ST-U-1"}, 100.0)
    reports = [(r["status"], e) for e, r in _timed(sim, schedule, 1000.0)]
    assert reports[0] == ("on_scene", 421.0)  # not en route again, not at 301 s
    # a reroute after arrival changes nothing
    sim.on_assignment({**order, "eta_s": 600, "rerouted_because": "ST-U-1"}, 500.0)
    assert [r["status"] for _, r in _timed(sim, schedule, 700.0)] == []


def _timed(
    sim: CrewSimulator, schedule: Schedule, until_s: float
) -> list[tuple[float, dict[str, Any]]]:
    out = []
    while due := schedule.pop_due(until_s):
        for event in due:
            value = sim.release(event.value, event.at_s)
            if value is not None:
                out.append((event.at_s, value))
    return out


def test_er_boards_of_a_seed_give_the_same_reports_however_they_are_read() -> None:
    hospitals = registry(load_city(None).facilities, load_er_rules())
    often, seldom = ErBoard(hospitals, seed=3), ErBoard(hospitals, seed=3)
    a = [r for minute in range(0, 6 * 60) for r in often.reports(minute * 60.0)]
    b = [r for minute in range(0, 6 * 60, 4) for r in seldom.reports(minute * 60.0)]
    b += seldom.reports(6 * 3600.0 - 60.0)
    assert a == b, "each report counted at its own time, lapses and capabilities alike"


def test_a_crew_diverted_on_its_way_turns_to_the_new_er_from_where_it_has_got_to() -> None:
    city = grid()
    sim, schedule, board = crew(city)
    sim.on_incident({"id": "INC-1", "type": "cardiac_arrest"})
    order = assignment(city)
    sim.on_assignment(order, 0.0)
    play(sim, schedule, 400.0)
    ers = sorted(registry(city.facilities, load_er_rules()).values(), key=lambda h: h.lat)
    first, other = ers[-1], ers[0]
    unit = order["unit_id"]
    sim.on_destination({"unit_id": unit, "incident_id": "INC-1", "hospital_id": first.id})
    reports = []
    while not any(r["status"] == "transporting" for r in reports):
        reports += play(sim, schedule, (schedule.next_at_s() or 0.0))
    (left,) = [r for r in reports if r["status"] == "transporting"]
    diverted = {"unit_id": unit, "incident_id": "INC-1", "hospital_id": other.id}
    sim.on_destination({**diverted, "diverted_from": first.id}, (schedule.next_at_s() or 0.0) - 1.0)
    sim.on_destination({**diverted, "diverted_from": first.id}, (schedule.next_at_s() or 0.0) - 1.0)
    reports = play(sim, schedule, 20_000.0)
    handovers = [r for r in reports if r["status"] == "at_hospital"]
    assert [(h["location"]["lon"], h["location"]["lat"]) for h in handovers] == [
        (round(other.lon, 6), round(other.lat, 6))
    ], "one handover, at the ER it was diverted to"
    assert sim.counts["diverted"] == 1 and left["unit_id"] == unit
    assert board.over_capacity + board.free(other.id, 10_000.0) < board.total[other.id]
