"""The underpass-flood scenario on Seoul, end to end on the real broker: the simulator
plays the rising water and the cardiac arrest, the ambulance is sent through the underpass,
the closure is recommended, a dispatcher confirms it, the ambulance is rerouted around it
and a public detour notice is drafted."""

from __future__ import annotations

import itertools
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from geo import City
from geo.structures import structure_by_id, structure_edges
from scenarios.disasters import load_scenario
from stack.embedded import spawn, stop_process
from stack.settings import Settings
from stack.supervisor import child_env
from streams.contract import Command, encode
from streams.topics import Topics
from tests.conftest import REPO, Process
from tests.integration.scenario_events import KST
from tests.kafka_io import produce, read_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]

UNDERPASS = "ST-U-1030032900"  # 동부간선도로 지하차도 (성동구), as the scenario file names it
SPEED = 20.0
"""Scenario seconds per wall second: the ambulance's 6-minute drive lasts 18 s, time enough
for the test to confirm the closure while it is on its way."""


def crosses(record: dict[str, Any], blocked: set[tuple[float, float, float, float]]) -> bool:
    coords = (record.get("route") or {}).get("coordinates") or []
    return any((a[0], a[1], b[0], b[1]) in blocked for a, b in itertools.pairwise(coords))


def latest(records: list[dict[str, Any]]) -> dict[str, Any]:
    mine = [r for r in records if r["structure_id"] == UNDERPASS]
    return max(mine, key=lambda r: r["version"]) if mine else {}


@pytest.mark.timeout(400)
async def test_underpass_flood_recommended_confirmed_rerouted_and_notice_drafted(
    city_settings: Settings, city_worker: Process, default_city: City, tmp_path: Path
) -> None:
    scenario = load_scenario("underpass-flood")
    structure = structure_by_id(default_city, UNDERPASS)
    assert structure is not None and structure.kind == "underpass"
    assert f"WL-{UNDERPASS}" in structure.sensor_ids
    src, dst, _, _ = default_city.roads.edge_arrays()
    lon, lat = default_city.roads.node_lonlats()
    edges = structure_edges(default_city, structure)
    blocked = {
        (lon[u], lat[u], lon[v], lat[v]) for u, v in zip(src[edges], dst[edges], strict=True)
    }
    arrest = next(e for e in scenario.events if e.get("category") == "cardiac_arrest")

    t = Topics(city_settings.topic_prefix)
    boot = city_settings.kafka_bootstrap
    minutes = scenario.duration_s / 60.0
    args = ["--scenario", scenario.name, "--no-day", "--speed", f"{SPEED:g}"]
    sim = spawn(
        [sys.executable, "-m", "stack.cli", "simulate", *args, "--minutes", f"{minutes:g}"],
        tmp_path / "simulate.log",
        {**child_env(city_settings), "PYTHONPATH": str(REPO)},
    )
    try:

        def sent_through(r: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return [
                a
                for a in r
                if a["status"] == "assigned"
                and a.get("unit_kind") == "ambulance"
                and crosses(a, blocked)
            ]

        def recommended(r: list[dict[str, Any]]) -> bool:
            return latest(r).get("state") == "closure_recommended"

        states = await read_until(boot, t.road_closures, recommended, 120)
        seen = [r["state"] for r in states if r["structure_id"] == UNDERPASS]
        assert seen[0] == "open" and "watch" in seen
        assert latest(states)["reason"].startswith("수위")
        ambulance = sent_through(
            await read_until(boot, t.assignments, lambda r: bool(sent_through(r)), 30)
        )[0]
        end = ambulance["route"]["coordinates"][-1]
        assert abs(end[0] - arrest["lon"]) < 0.01 and abs(end[1] - arrest["lat"]) < 0.01

        confirm = Command.model_validate(
            {
                "id": "cmd-uf-confirm",
                "at": datetime.now(KST).isoformat(),
                "action": "confirm_closure",
                "by": "dispatcher-park",
                "role": "dispatcher",
                "structure_id": UNDERPASS,
            }
        )
        produce(boot, t.commands, [(b"city", encode(confirm))])
        closed = latest(
            await read_until(
                boot, t.road_closures, lambda r: latest(r).get("state") == "closed", 60
            )
        )
        assert closed["command_id"] == "cmd-uf-confirm" and closed["by"] == "dispatcher-park"

        def rerouted(r: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return [
                a
                for a in r
                if a["unit_id"] == ambulance["unit_id"] and a.get("rerouted_because") == UNDERPASS
            ]

        (new,) = rerouted(await read_until(boot, t.assignments, lambda r: bool(rerouted(r)), 60))
        assert new["incident_id"] == ambulance["incident_id"] and new["status"] == "assigned"
        assert new["route"] is not None and not crosses(new, blocked)

        def notice(r: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return [a for a in r if a["incident_id"] == f"CLOSURE-{UNDERPASS}"]

        (draft,) = notice(await read_until(boot, t.alerts, lambda r: bool(notice(r)), 60))
        assert draft["status"] == "draft" and draft["tier"] == "safety"
        assert "동부간선도로 지하차도" in draft["message"]["ko"]
        assert "우회" in draft["message"]["ko"]
    finally:
        stop_process(sim)
