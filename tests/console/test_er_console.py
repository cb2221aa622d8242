"""Emergency rooms through a running console on the real broker and cache: the sockets carry
``er-status``, ``destinations`` and ``mci-plans`` (a crew only its own unit's destination),
the board flags stale status, and a crew's choice is audited and produced as a command."""

from __future__ import annotations

import httpx
import orjson
import pytest
import websockets

from access import Role
from stack.settings import Settings
from streams.contract import Command, decode
from streams.topics import Topics
from tests.conftest import Process
from tests.console.conftest import bearer, eventually, frames_until, frames_within, publish
from tests.console.console_samples import assignment, incident, token, unit_status
from tests.console.hospital_samples import KANGBUK, NMC, SNUH, destination, er_status, mci_plan
from tests.kafka_io import produce, read_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROUTE = [(126.97, 37.56), (126.978, 37.5665)]


def seed_two_crews(settings: Settings) -> None:
    """Two ambulances on two incidents, each with a destination for its patient."""
    publish(settings, "incidents", [incident("inc-a", type="cardiac_arrest"), incident("inc-b")])
    orders = [
        assignment("inc-a", "A-1", "assigned", ROUTE),
        assignment("inc-b", "A-2", "assigned", ROUTE),
    ]
    publish(settings, "assignments", orders, key="incident_id")
    units = [unit_status(u, "on_scene", *ROUTE[-1], kind="ambulance") for u in ("A-1", "A-2")]
    publish(settings, "unit-status", units, key="unit_id")


@pytest.mark.timeout(90)
async def test_a_crew_socket_carries_only_its_own_units_destination(
    settings: Settings, console: Process
) -> None:
    seed_two_crews(settings)
    base = settings.console_url.replace("http", "ws")
    crew = token(settings, Role.CREW, "A-1")
    async with httpx.AsyncClient(base_url=settings.console_url, timeout=10) as http:

        async def ordered() -> bool:
            view = (await http.get("/api/crew/A-1", headers=bearer(crew))).json()
            return view["assignment"] is not None

        await eventually(ordered)
    async with websockets.connect(f"{base}/ws/crew/A-1", additional_headers=bearer(crew)) as ws:
        first = orjson.loads(await ws.recv())
        assert first["type"] == "snapshot" and first["data"]["destinations"] == []
        publish(
            settings,
            "destinations",
            [destination("inc-b", "A-2", NMC), destination("inc-a", "A-1", SNUH)],
            key="incident_id",
        )
        publish(settings, "er-status", [er_status(SNUH[0], 3)], key="hospital_id")
        publish(settings, "mci-plans", [mci_plan("inc-a")], key="incident_id")
        got = await frames_until(ws, lambda g: any(m["type"] == "destination" for m in g))
        got += await frames_within(ws, 1.5)
    assert [m["data"]["unit_id"] for m in got if m["type"] == "destination"] == ["A-1"]
    assert {m["type"] for m in got} == {"destination"}  # no other unit, no board, no plan
    text = orjson.dumps(got).decode()
    assert "A-2" not in text and "inc-b" not in text
    async with httpx.AsyncClient(base_url=settings.console_url, timeout=10) as http:
        view = (await http.get("/api/crew/A-1", headers=bearer(crew))).json()
    assert view["destination"]["hospital_id"] == SNUH[0]
    assert "inc-b" not in orjson.dumps(view).decode()


@pytest.mark.timeout(90)
async def test_the_console_socket_and_board_carry_status_destinations_and_plans(
    settings: Settings, console: Process
) -> None:
    seed_two_crews(settings)
    base = settings.console_url.replace("http", "ws")
    dispatcher = token(settings, Role.DISPATCHER)
    async with websockets.connect(
        f"{base}/ws/console", additional_headers=bearer(dispatcher)
    ) as ws:
        await ws.recv()  # the snapshot
        publish(
            settings,
            "er-status",
            [er_status(SNUH[0], 4), er_status(KANGBUK[0], 2, age_s=3600)],
            key="hospital_id",
        )
        publish(settings, "destinations", [destination("inc-a", "A-1", SNUH)], key="incident_id")
        publish(settings, "mci-plans", [mci_plan("inc-a")], key="incident_id")
        wanted = {("er-status", SNUH[0]), ("er-status", KANGBUK[0]), ("destination", SNUH[0])}
        wanted.add(("mci-plan", None))
        await frames_until(
            ws, lambda g: wanted <= {(m["type"], m["data"].get("hospital_id")) for m in g}
        )
    async with httpx.AsyncClient(base_url=settings.console_url, timeout=10) as http:
        board = (await http.get("/api/hospitals", headers=bearer(dispatcher))).json()
        crew = await http.get("/api/hospitals", headers=bearer(token(settings, Role.CREW, "A-1")))
    assert crew.status_code == 403
    rows = {r["hospital_id"]: r for r in board["hospitals"]}
    registered = [r for r in board["hospitals"] if r["location"] is not None]
    assert len(registered) >= 3  # the city's emergency rooms, placed on the map
    assert all(
        r["name"] and r["status"] is None for r in registered if r["hospital_id"] not in rows
    )
    assert rows[SNUH[0]]["name"] == SNUH[1]  # named as the records name it
    assert rows[SNUH[0]]["status"]["stale"] is False
    assert rows[SNUH[0]]["status"]["beds_trusted"] == 4
    assert rows[KANGBUK[0]]["status"]["stale"] is True  # an hour old
    assert rows[KANGBUK[0]]["status"]["beds_trusted"] is None
    assert [c["unit_id"] for c in rows[SNUH[0]]["incoming"]] == ["A-1"]
    assert [p["incident_id"] for p in board["mci_plans"]] == ["inc-a"]
    # a console (re)connecting gets it all in its snapshot
    async with websockets.connect(
        f"{base}/ws/console", additional_headers=bearer(dispatcher)
    ) as ws:
        snap = orjson.loads(await ws.recv())["data"]
    assert [d["unit_id"] for d in snap["destinations"]] == ["A-1"]
    assert len(snap["er_status"]) == 2 and len(snap["mci_plans"]) == 1


@pytest.mark.timeout(90)
async def test_a_crews_choice_is_checked_audited_and_produced_as_a_command(
    settings: Settings, console: Process
) -> None:
    seed_two_crews(settings)
    publish(settings, "destinations", [destination("inc-a", "A-1", SNUH)], key="incident_id")
    own = bearer(token(settings, Role.CREW, "A-1"))
    async with httpx.AsyncClient(base_url=settings.console_url, timeout=10) as http:

        async def recommended() -> bool:
            view = (await http.get("/api/crew/A-1", headers=own)).json()
            return view.get("destination") is not None

        await eventually(recommended)
        other = await http.post(
            "/api/units/A-2/destination", json={"hospital_id": NMC[0]}, headers=own
        )
        foreign = await http.post(
            "/api/units/A-1/destination",
            json={"hospital_id": NMC[0], "incident_id": "inc-b"},
            headers=own,
        )
        unknown = await http.post(
            "/api/units/A-1/destination", json={"hospital_id": "NO-SUCH"}, headers=own
        )
        chosen = await http.post(
            "/api/units/A-1/destination", json={"hospital_id": KANGBUK[0]}, headers=own
        )
        assert (other.status_code, foreign.status_code, unknown.status_code) == (403, 403, 422)
        assert chosen.status_code == 202, chosen.text
        trail = (
            await http.get("/api/audit", headers=bearer(token(settings, Role.SUPERVISOR)))
        ).json()
    records = await read_until(
        settings.kafka_bootstrap, Topics(settings.topic_prefix).commands, lambda r: len(r) >= 1
    )
    assert len(records) == 1  # the refused ones never reached the worker
    command = decode(Command, orjson.dumps(records[0]))
    assert command.id == chosen.json()["id"]
    assert command.action.value == "choose_destination"
    assert (command.unit_id, command.hospital_id, command.incident_id) == (
        "A-1",
        KANGBUK[0],
        "inc-a",
    )
    assert command.role == "crew"
    entry = next(a for a in trail if a["command_id"] == command.id)
    assert entry["action"] == "choose_destination" and entry["outcome"] == "requested"
    assert KANGBUK[0] in entry["target"] and "A-1" in entry["target"]


@pytest.mark.timeout(90)
async def test_records_that_break_the_contract_are_left_out_and_the_rest_still_arrive(
    settings: Settings, console: Process
) -> None:
    seed_two_crews(settings)
    topics = Topics(settings.topic_prefix)
    base = settings.console_url.replace("http", "ws")
    dispatcher = token(settings, Role.DISPATCHER)
    good = destination("inc-a", "A-1", SNUH)
    no_time = {k: v for k, v in destination("inc-a", "A-1", NMC).items() if k != "issued_at"}
    negative = {**mci_plan("inc-a"), "unallocated": -4}
    async with websockets.connect(
        f"{base}/ws/console", additional_headers=bearer(dispatcher)
    ) as ws:
        await ws.recv()  # the snapshot
        produce(
            settings.kafka_bootstrap,
            topics.destinations,
            [(b"inc-a", b"not json"), (b"inc-a", no_time), (b"inc-a", good)],
        )
        produce(settings.kafka_bootstrap, topics.mci_plans, [(b"inc-a", negative)])
        produce(settings.kafka_bootstrap, topics.er_status, [(SNUH[0].encode(), b"{}")])
        publish(settings, "er-status", [er_status(KANGBUK[0], 5)], key="hospital_id")
        got = await frames_until(
            ws, lambda g: {"destination", "er-status"} <= {m["type"] for m in g}
        )
        got += await frames_within(ws, 1.5)
    of = {k: [m["data"] for m in got if m["type"] == k] for k in ("destination", "er-status")}
    assert [(d["hospital_id"], d["issued_at"]) for d in of["destination"]] == [
        (SNUH[0], good["issued_at"])
    ]
    assert [s["hospital_id"] for s in of["er-status"]] == [KANGBUK[0]]
    assert not [m for m in got if m["type"] == "mci-plan"]
    async with httpx.AsyncClient(base_url=settings.console_url, timeout=10) as http:
        board = (await http.get("/api/hospitals", headers=bearer(dispatcher))).json()
        ready = await http.get("/readyz")
    assert ready.status_code == 200  # the console carries on
    assert board["mci_plans"] == []
    rows = {r["hospital_id"]: r for r in board["hospitals"]}
    assert rows[SNUH[0]]["status"] is None and rows[KANGBUK[0]]["status"]["beds_available"] == 5
    assert [c["unit_id"] for c in rows[SNUH[0]]["incoming"]] == ["A-1"]
