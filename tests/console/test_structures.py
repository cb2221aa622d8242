"""Structures on the console, on the real broker and cache: the board's states and trend, the
socket's frames, the public list of closures, the closure commands and a crew's reroute."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import orjson
import pytest
import websockets

from access import Role
from console.closures import HISTORY_S
from geo import load_city
from geo.structures import structures
from stack.settings import Settings
from streams.contract import Command, decode
from streams.topics import Topics
from tests.conftest import Process
from tests.console.conftest import bearer, eventually, frames_until, publish
from tests.console.console_samples import (
    assignment,
    incident,
    now,
    road_closure,
    token,
    unit_status,
)
from tests.kafka_io import read_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def an_underpass(settings: Settings) -> str:
    """The id of an underpass of the city the console loads."""
    return next(s.id for s in structures(load_city(settings.data_dir)) if s.kind == "underpass")


@pytest.mark.timeout(90)
async def test_board_socket_and_public_page_follow_the_closure_log(
    settings: Settings, console: Process
) -> None:
    sid = an_underpass(settings)
    t0 = now() - timedelta(minutes=90)
    old = road_closure(sid, "open", 1, depth_m=0.02, at=t0)  # over an hour before the rest
    rising = [
        road_closure(sid, "watch", 2, depth_m=0.18, at=t0 + timedelta(minutes=70)),
        road_closure(sid, "closure_recommended", 3, depth_m=0.31, at=t0 + timedelta(minutes=80)),
    ]
    publish(settings, "road-closures", [old, *rising], key="structure_id")
    dispatcher = bearer(token(settings, Role.DISPATCHER))
    async with httpx.AsyncClient(base_url=settings.console_url, timeout=20) as http:

        async def row() -> dict[str, Any] | None:
            rows = (await http.get("/api/structures", headers=dispatcher)).json()
            mine = next(r for r in rows if r["structure_id"] == sid)
            return mine if mine["state"] == "closure_recommended" else None

        board = await eventually(row)
        rows = (await http.get("/api/structures", headers=dispatcher)).json()
        assert len(rows) == len(structures(load_city(settings.data_dir)))  # every structure, once
        assert {r["state"] for r in rows if r["structure_id"] != sid} == {"open"}
        assert board["lines"] and board["readings"][0]["close_at"] == 0.15
        # the trend keeps the hour before the newest reading: the 0.02 m of 80 min before goes
        assert [h["value"] for h in board["history"]] == [0.18, 0.31]
        assert HISTORY_S == 3600

        base = settings.console_url.replace("http", "ws")
        console_ws = await websockets.connect(
            f"{base}/ws/console", additional_headers=bearer(token(settings, Role.DISPATCHER))
        )
        public_ws = await websockets.connect(f"{base}/ws/public")
        async with console_ws, public_ws:
            snapshot = orjson.loads(await console_ws.recv())["data"]
            assert [s["state"] for s in snapshot["structures"]] == ["closure_recommended"]
            public_first = orjson.loads(await public_ws.recv())["data"]
            assert public_first["closures"] == []

            closed = road_closure(
                sid,
                "closed",
                4,
                depth_m=0.33,
                previous_state="closure_recommended",
                command_id="cmd-confirm-1",
                by="dispatcher-kim",
                reason="수위 0.33 m 통제 확정",
            )
            publish(settings, "road-closures", [closed], key="structure_id")
            got = await frames_until(console_ws, lambda f: any(m["type"] == "structure" for m in f))
            live = next(m["data"] for m in got if m["type"] == "structure")
            assert live["state"] == "closed" and live["command_id"] == "cmd-confirm-1"
            told = orjson.loads(await asyncio.wait_for(public_ws.recv(), 10))
            assert told["type"] == "closure" and told["data"]["structure_id"] == sid

            later = road_closure(
                sid,
                "closed",
                5,
                depth_m=0.40,
                previous_state="closed",
                at=now() + timedelta(minutes=5),
                by="dispatcher-kim",
            )
            publish(settings, "road-closures", [later], key="structure_id")

            async def public_list() -> list[dict[str, Any]] | None:
                rows = (await http.get("/api/structures", headers=dispatcher)).json()
                mine = next(r for r in rows if r["structure_id"] == sid)
                if mine["version"] != 5:
                    return None
                return list((await http.get("/api/public/closures")).json())

            shown = await eventually(public_list)
            assert len(shown) == 1
            assert shown[0]["since"] == closed["updated_at"]  # when it closed, not its news
            assert {"name", "kind", "gu", "location"} <= set(shown[0])
            text = orjson.dumps(shown).decode()
            assert "dispatcher-kim" not in text and "수위" not in text and "cmd-" not in text

            reopened = road_closure(
                sid,
                "open",
                6,
                depth_m=0.05,
                previous_state="closed",
                at=now() + timedelta(minutes=9),
            )
            publish(settings, "road-closures", [reopened], key="structure_id")
            await eventually(lambda: public_gone(http))
            told_open = await frames_until(
                public_ws, lambda f: any(m["data"].get("state") == "open" for m in f)
            )
            assert all(m["type"] == "closure" for m in told_open)
        # a console connecting now is told of the reopening it missed
        async with websockets.connect(
            f"{base}/ws/console", additional_headers=bearer(token(settings, Role.DISPATCHER))
        ) as ws:
            first = await frames_until(ws, lambda f: any(m["type"] == "structure" for m in f))
        assert first[0]["data"]["structures"] == []
        assert next(m["data"] for m in first if m["type"] == "structure")["state"] == "open"


async def public_gone(http: httpx.AsyncClient) -> bool:
    return (await http.get("/api/public/closures")).json() == []


@pytest.mark.timeout(60)
async def test_closure_commands_are_audited_then_produced_and_bad_ones_refused(
    settings: Settings, console: Process
) -> None:
    sid = an_underpass(settings)
    dispatcher = bearer(token(settings, Role.DISPATCHER))
    async with httpx.AsyncClient(base_url=settings.console_url, timeout=20) as http:
        no_reason = await http.post(f"/api/structures/{sid}/close", json={}, headers=dispatcher)
        assert no_reason.status_code == 422 and "reason" in no_reason.json()["detail"]
        unknown = await http.post(
            "/api/structures/ST-U-nowhere/confirm-closure", headers=dispatcher
        )
        assert unknown.status_code == 404
        crew = await http.post(
            f"/api/structures/{sid}/confirm-closure",
            headers=bearer(token(settings, Role.CREW, "E-1")),
        )
        assert crew.status_code == 403
        sent = {}
        for path, body in [
            ("confirm-closure", None),
            ("close", {"reason": "침수 우려, 현장 확인"}),
            ("reopen", {"reason": "배수 완료"}),
        ]:
            r = await http.post(f"/api/structures/{sid}/{path}", json=body, headers=dispatcher)
            assert r.status_code == 202, r.text
            sent[r.json()["id"]] = path
        trail = (
            await http.get("/api/audit", headers=bearer(token(settings, Role.SUPERVISOR)))
        ).json()
    records = await read_until(
        settings.kafka_bootstrap, Topics(settings.topic_prefix).commands, lambda r: len(r) >= 3
    )
    commands = [decode(Command, orjson.dumps(r)) for r in records]
    assert {c.id for c in commands} == set(sent)
    assert [c.action.value for c in commands] == [
        "confirm_closure",
        "close_structure",
        "reopen_structure",
    ]
    assert {c.structure_id for c in commands} == {sid}
    assert commands[1].reason == "침수 우려, 현장 확인" and commands[0].reason is None
    audited = {a["command_id"]: a for a in trail}
    assert set(audited) == set(sent)
    assert all(audited[c.id]["target"] == sid for c in commands)
    assert audited[commands[2].id]["action"] == "reopen_structure"


@pytest.mark.timeout(60)
async def test_a_crew_is_told_which_closure_its_new_route_drives_around(
    settings: Settings, console: Process
) -> None:
    sid = an_underpass(settings)
    publish(
        settings,
        "road-closures",
        [road_closure(sid, "closed", 4, previous_state="closure_recommended", by="kim")],
        key="structure_id",
    )
    publish(settings, "incidents", [incident("inc-flood", status="dispatched")])
    publish(settings, "unit-status", [unit_status("A-1", "en_route", 126.97, 37.56)], key="unit_id")
    first = assignment("inc-flood", "A-1", "assigned", [(126.97, 37.56), (126.978, 37.5665)])
    rerouted = {
        **assignment(
            "inc-flood", "A-1", "assigned", [(126.97, 37.56), (126.975, 37.57), (126.978, 37.5665)]
        ),
        "rerouted_because": sid,
    }
    publish(settings, "assignments", [first, rerouted], key="incident_id")
    crew = bearer(token(settings, Role.CREW, "A-1"))
    async with httpx.AsyncClient(base_url=settings.console_url, timeout=10) as http:

        async def view() -> dict[str, Any] | None:
            v = (await http.get("/api/crew/A-1", headers=crew)).json()
            return v if v.get("reroute") else None

        seen = await eventually(view)
    assert seen["assignment"]["route"]["coordinates"][1] == [126.975, 37.57]
    assert seen["reroute"] == {
        "structure_id": sid,
        "name": "시청앞지하차도",
        "kind": "underpass",
        "gu": "중구",
    }
    assert "kim" not in orjson.dumps(seen).decode()
