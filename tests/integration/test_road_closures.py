"""An underpass floods while an ambulance drives to a cardiac arrest through it, on the real
broker with a real worker: the water level raises watch and then a closure recommendation,
a dispatcher confirms (the command sent twice: applied once), the ambulance gets a new
route around it, no route after the closure uses its links, a killed and restarted worker
keeps the closure, and reopening gives the links back; the closure drafts a public
detour notice."""

from __future__ import annotations

import itertools
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from geo import load_city
from geo.builtin import _Grid
from geo.structures import structure_by_id, structure_edges
from stack.settings import Settings
from streams.contract import Command, encode
from streams.topics import Topics
from tests.conftest import start_worker
from tests.integration.scenario_events import KST, at, call
from tests.kafka_io import produce, read_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CITY = load_city(None)
UNDERPASS = "ST-U-G686-G687"
STRUCTURE = structure_by_id(CITY, UNDERPASS)
assert STRUCTURE is not None
GRID = _Grid(CITY.roads)
EAST_OF_IT = GRID.lonlat(18, 25, 0.0)
"""Places the centre station's ambulance reaches fastest through the underpass (each call
far enough from the others to be an emergency of its own)."""
FURTHER_EAST = GRID.lonlat(18, 28, 0.0)
FAR_EAST = GRID.lonlat(18, 31, 0.0)


def _blocked() -> set[tuple[float, float, float, float]]:
    src, dst, _, _ = CITY.roads.edge_arrays()
    lon, lat = CITY.roads.node_lonlats()
    edges = structure_edges(CITY, STRUCTURE)
    return {(lon[u], lat[u], lon[v], lat[v]) for u, v in zip(src[edges], dst[edges], strict=True)}


BLOCKED = _blocked()


def crosses(record: dict[str, Any]) -> bool:
    """Whether an assignment's route drives along a link of the underpass."""
    coords = (record.get("route") or {}).get("coordinates") or []
    return any((a[0], a[1], b[0], b[1]) in BLOCKED for a, b in itertools.pairwise(coords))


def water(n: int, depth_m: float) -> tuple[bytes, dict[str, Any]]:
    gauge = f"WL-{UNDERPASS}"
    alarm = {
        "id": f"wl-it-{n}",
        "measured_at": at(n),
        "sensor_id": gauge,
        "kind": "water_level",
        "value": depth_m,
        "unit": "m",
        "threshold": 0.15,
        "location": {"lon": STRUCTURE.lon, "lat": STRUCTURE.lat},
    }
    return gauge.encode(), alarm


def closure_command(cid: str, action: str, **values: Any) -> tuple[bytes, bytes]:
    cmd = Command.model_validate(
        {
            "id": cid,
            "at": datetime.now(KST).isoformat(),
            "action": action,
            "by": "dispatcher-kim",
            "role": "dispatcher",
            "structure_id": UNDERPASS,
            **values,
        }
    )
    return b"city", encode(cmd)


def latest(records: list[dict[str, Any]]) -> dict[str, Any]:
    mine = [r for r in records if r["structure_id"] == UNDERPASS]
    return max(mine, key=lambda r: r["version"]) if mine else {}


def ambulances(records: list[dict[str, Any]], incident_id: str) -> list[dict[str, Any]]:
    return [
        r
        for r in records
        if r["incident_id"] == incident_id
        and r["status"] == "assigned"
        and r.get("unit_kind") == "ambulance"
    ]


@pytest.mark.timeout(300)
async def test_flooded_underpass_closed_ambulance_rerouted_closure_survives_restart(
    settings: Settings, tmp_path: Path
) -> None:
    t = Topics(settings.topic_prefix)
    boot = settings.kafka_bootstrap
    worker = start_worker(settings, tmp_path)
    try:
        produce(boot, t.calls, [(b"c1", call("uc-1", *EAST_OF_IT, "cardiac_arrest", at(0)))])
        first = await read_until(
            boot, t.assignments, lambda r: any(ambulances(r, a["incident_id"]) for a in r), 60
        )
        incident_id = first[0]["incident_id"]
        (sent,) = ambulances(first, incident_id)
        assert crosses(sent)  # routed through the underpass

        produce(boot, t.sensor_alarms, [water(1, 0.02), water(2, 0.08), water(3, 0.22)])
        states = await read_until(
            boot, t.road_closures, lambda r: latest(r).get("state") == "closure_recommended", 60
        )
        seen = [r["state"] for r in states if r["structure_id"] == UNDERPASS]
        assert seen == ["open", "watch", "closure_recommended"]

        confirm = closure_command("cmd-uc-confirm", "confirm_closure")
        produce(boot, t.commands, [confirm, confirm])  # sent twice: applied once
        closed = await read_until(
            boot, t.road_closures, lambda r: latest(r).get("state") == "closed", 60
        )
        assert latest(closed)["command_id"] == "cmd-uc-confirm"
        assert [r["state"] for r in closed].count("closed") == 1

        def rerouted(r: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return [
                a
                for a in r
                if a.get("rerouted_because") == UNDERPASS and a["unit_id"] == sent["unit_id"]
            ]

        records = await read_until(boot, t.assignments, lambda r: bool(rerouted(r)), 60)
        (new,) = rerouted(records)
        assert new["incident_id"] == incident_id and new["status"] == "assigned"
        assert not crosses(new)
        # every order issued since the closure drives around it (the flood incident the
        # gauge opened at the underpass included)
        closed_at = datetime.fromisoformat(latest(closed)["updated_at"])
        since = [a for a in records if datetime.fromisoformat(a["issued_at"]) >= closed_at]
        bad = [a for a in since if a["status"] != "cancelled" and crosses(a)]
        assert not bad

        def notice(r: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return [a for a in r if a["incident_id"] == f"CLOSURE-{UNDERPASS}"]

        alerts = notice(await read_until(boot, t.alerts, lambda r: bool(notice(r)), 60))
        assert [a["status"] for a in alerts] == ["draft"]
        assert (
            "데모1지하차도" in alerts[0]["message"]["ko"] and "우회" in alerts[0]["message"]["ko"]
        )
        before_restart = {a["incident_id"] for a in records}
    finally:
        worker.kill()  # a crash: the closure must come back from the table's changelog

    worker = start_worker(settings, tmp_path)
    try:
        produce(boot, t.calls, [(b"c2", call("uc-2", *FURTHER_EAST, "cardiac_arrest", at(30)))])

        def second_sent(r: list[dict[str, Any]]) -> bool:
            return any(
                ambulances(r, a["incident_id"]) for a in r if a["incident_id"] not in before_restart
            )

        records = await read_until(boot, t.assignments, second_sent, 90)
        after = [a for a in records if a["incident_id"] not in before_restart]
        assert after and not any(crosses(a) for a in after)

        produce(boot, t.sensor_alarms, [water(100, 0.0)])  # drained: still closed until reopened

        def drained(r: list[dict[str, Any]]) -> bool:
            return any(x["event_id"] == "wl-it-100" for x in latest(r).get("readings", []))

        assert latest(await read_until(boot, t.road_closures, drained, 60))["state"] == "closed"
        reopen = closure_command("cmd-uc-reopen", "reopen_structure", reason="배수 완료")
        produce(boot, t.commands, [reopen])

        def reopened(r: list[dict[str, Any]]) -> bool:
            return latest(r).get("command_id") == "cmd-uc-reopen"

        opened = latest(await read_until(boot, t.road_closures, reopened, 60))
        assert opened["state"] == "open" and opened["previous_state"] == "closed"

        # reopening what is open is refused: dead-lettered under the command's id, from the
        # commands topic it came on
        again = closure_command("cmd-uc-reopen-again", "reopen_structure", reason="다시")
        produce(boot, t.commands, [again])

        def refused(r: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return [d for d in r if d.get("event_id") == "cmd-uc-reopen-again"]

        (letter,) = refused(await read_until(boot, t.deadletter, lambda r: bool(refused(r)), 60))
        assert letter["source_topic"] == t.commands and "not closed" in letter["error"]

        # the first ambulance back at its station, free: the next call goes through again
        station = CITY.station("DEMO-C03")
        assert station is not None
        free = {
            "unit_id": sent["unit_id"],
            "at": at(40),
            "kind": "ambulance",
            "status": "available",
            "location": {"lon": station.lon, "lat": station.lat},
        }
        produce(boot, t.unit_status, [(sent["unit_id"].encode(), free)])
        produce(boot, t.calls, [(b"c3", call("uc-3", *FAR_EAST, "cardiac_arrest", at(45)))])
        known = {a["incident_id"] for a in records}

        def third_sent(r: list[dict[str, Any]]) -> bool:
            return any(ambulances(r, a["incident_id"]) for a in r if a["incident_id"] not in known)

        records = await read_until(boot, t.assignments, third_sent, 90)
        third = [a for a in records if a["incident_id"] not in known and a["status"] == "assigned"]
        assert any(a["unit_id"] == sent["unit_id"] and crosses(a) for a in third)
    finally:
        worker.stop()
