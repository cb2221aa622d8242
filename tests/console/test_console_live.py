"""The console on the real broker and cache: actions, audit, units, crew, alerts, slow sockets."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import websockets
from lxml import etree

from access import Role
from alerts import validate_cap
from stack.embedded import free_port
from stack.settings import Settings
from streams.contract import Command, decode
from streams.topics import Topics
from tests.conftest import Process, start_console
from tests.console.conftest import bearer, eventually, publish
from tests.console.console_samples import (
    assignment,
    gas_leak_alerts,
    incident,
    overlay,
    token,
    unit_status,
)
from tests.kafka_io import produce, read_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]


async def test_actions_are_audited_then_produced_as_commands(
    settings: Settings, console: Process
) -> None:
    topics = Topics(settings.topic_prefix)
    dispatcher = bearer(token(settings, Role.DISPATCHER))
    async with httpx.AsyncClient(base_url=settings.console_url, timeout=10) as http:
        missing = await http.post(
            "/api/incidents/inc-1/override", json={"unit_ids": ["E-2"]}, headers=dispatcher
        )
        assert missing.status_code == 422 and "reason" in missing.json()["detail"]
        bad_id = await http.post("/api/incidents/bad id!/resolve", headers=dispatcher)
        assert bad_id.status_code == 422
        sent = {}
        for path, body in [
            ("/api/incidents/inc-1/accept", {"unit_ids": ["E-1"]}),
            ("/api/incidents/inc-1/override", {"unit_ids": ["E-2"], "reason": "E-1 in repair"}),
            ("/api/incidents/inc-1/resolve", None),
            ("/api/incidents/inc-1/close", None),
            ("/api/alerts/alert-1/approve", None),
            ("/api/alerts/alert-1/cancel", {"reason": "false alarm"}),
            ("/api/alerts/alert-1/all-clear", None),
        ]:
            r = await http.post(path, json=body, headers=dispatcher)
            assert r.status_code == 202, r.text
            sent[r.json()["id"]] = path
        audit = await http.get("/api/audit", headers=bearer(token(settings, Role.SUPERVISOR)))
        assert (await http.get("/api/audit", headers=dispatcher)).status_code == 403
    records = await read_until(settings.kafka_bootstrap, topics.commands, lambda r: len(r) >= 7)
    assert len(records) == 7  # the refused ones never reached the worker
    commands = [decode(Command, orjson.dumps(r)) for r in records]
    assert {c.id for c in commands} == set(sent)
    by_action = {c.action.value: c for c in commands}
    assert by_action["override"].reason == "E-1 in repair"
    assert by_action["override"].unit_ids == ["E-2"]
    assert by_action["approve_alert"].alert_id == "alert-1"
    assert all(c.by == "test-dispatcher" and c.role == "dispatcher" for c in commands)
    trail = audit.json()
    assert {a["command_id"] for a in trail} == set(sent)
    cancel = next(a for a in trail if a["action"] == "cancel_alert")
    assert cancel["reason"] == "false alarm" and cancel["who"] == "test-dispatcher"
    assert cancel["target"] == "alert-1" and cancel["at"] and cancel["outcome"] == "requested"


async def test_rulings_are_refused_with_a_reason_or_audited_then_produced(
    settings: Settings, console: Process
) -> None:
    topics = Topics(settings.topic_prefix)
    dispatcher = bearer(token(settings, Role.DISPATCHER))
    async with httpx.AsyncClient(base_url=settings.console_url, timeout=10) as http:
        for path, body, why in [
            ("/api/incidents/inc-2/merge", {"into_incident_id": "inc-1"}, "needs a reason"),
            ("/api/incidents/inc-2/merge", {"into_incident_id": "inc-2", "reason": "x"}, "another"),
            ("/api/incidents/inc-1/split", {"reason": "x"}, "needs evidence_ids"),
            (
                "/api/incidents/inc-1/split",
                {"evidence_ids": ["c-1"], "type": "ufo", "reason": "x"},
                "type",
            ),
            ("/api/incidents/inc-1/retype", {"reason": "x"}, "type or a priority"),
            ("/api/incidents/inc-1/retype", {"priority": 0, "reason": "x"}, "priority"),
        ]:
            r = await http.post(path, json=body, headers=dispatcher)
            assert r.status_code == 422 and why in r.json()["detail"], (path, body, r.text)
        no_body = await http.post("/api/incidents/inc-1/retype", headers=dispatcher)
        assert no_body.status_code == 422
        sent = {}
        for path, body in [
            ("/api/incidents/inc-2/merge", {"into_incident_id": "inc-1", "reason": "같은 화재"}),
            (
                "/api/incidents/inc-1/split",
                {"evidence_ids": ["call-9"], "type": "medical", "reason": "다른 환자"},
            ),
            ("/api/incidents/inc-1/retype", {"type": "hazmat", "priority": 1, "reason": "약품"}),
        ]:
            r = await http.post(path, json=body, headers=dispatcher)
            assert r.status_code == 202, r.text
            sent[r.json()["id"]] = path
        audit = await http.get("/api/audit", headers=bearer(token(settings, Role.SUPERVISOR)))
    records = await read_until(settings.kafka_bootstrap, topics.commands, lambda r: len(r) >= 3)
    assert len(records) == 3  # the refused ones never reached the worker
    by_action = {c.action.value: c for c in (decode(Command, orjson.dumps(r)) for r in records)}
    assert {c.id for c in by_action.values()} == set(sent)
    merge, split, retype = (
        by_action[a] for a in ("merge_incident", "split_evidence", "retype_incident")
    )
    assert merge.incident_id == "inc-2" and merge.into_incident_id == "inc-1"
    assert split.evidence_ids == ["call-9"] and split.type == "medical"
    assert retype.type == "hazmat" and retype.priority == 1 and retype.reason == "약품"
    trail = {a["command_id"]: a for a in audit.json()}
    assert set(trail) == set(sent)
    assert (
        trail[merge.id]["action"] == "merge_incident" and trail[merge.id]["reason"] == "같은 화재"
    )
    assert trail[merge.id]["who"] == "test-dispatcher" and trail[merge.id]["target"] == "inc-2"


async def test_out_of_service_is_published_and_shown(settings: Settings, console: Process) -> None:
    dispatcher = bearer(token(settings, Role.DISPATCHER))
    publish(
        settings, "unit-status", [unit_status("E-9", "available", 126.97, 37.56)], key="unit_id"
    )
    bad = orjson.dumps({"unit_id": "E-BAD", "status": "flying"})  # not a contract UnitStatus
    produce(settings.kafka_bootstrap, Topics(settings.topic_prefix).unit_status, [(b"x", bad)])
    async with httpx.AsyncClient(base_url=settings.console_url, timeout=10) as http:

        async def units() -> list[dict[str, object]]:
            return list((await http.get("/api/units", headers=dispatcher)).json())

        await eventually(units)
        unknown = await http.post("/api/units/E-404/out-of-service", headers=dispatcher)
        assert unknown.status_code == 404
        r = await http.post(
            "/api/units/E-9/out-of-service", json={"reason": "pump failure"}, headers=dispatcher
        )
        assert r.status_code == 202

        async def out() -> bool:
            return any(u["status"] == "out_of_service" for u in await units())

        await eventually(out)
        assert [u["unit_id"] for u in await units()] == ["E-9"]  # the malformed report is ignored
    reports = await read_until(
        settings.kafka_bootstrap,
        Topics(settings.topic_prefix).unit_status,
        lambda r: any(u.get("status") == "out_of_service" for u in r),
    )
    out = [u for u in reports if u.get("status") == "out_of_service"]
    assert len(out) == 1 and out[0]["unit_id"] == "E-9" and out[0]["kind"] == "engine"


async def test_crew_socket_and_view_carry_only_its_own_unit(
    settings: Settings, console: Process
) -> None:
    base = settings.console_url.replace("http", "ws")
    crew = token(settings, Role.CREW, "E-1")
    async with websockets.connect(f"{base}/ws/crew/E-1", additional_headers=bearer(crew)) as ws:
        first = orjson.loads(await ws.recv())
        assert first == {
            "type": "snapshot",
            "data": {"incidents": [], "assignments": [], "overlays": [], "destinations": []},
        }
        publish(settings, "incidents", [incident("inc-a"), incident("inc-b")])
        publish(settings, "overlays", [overlay("inc-a"), overlay("inc-b")], key="incident_id")
        route = [(126.97, 37.56), (126.978, 37.5665)]
        publish(
            settings,
            "assignments",
            [
                assignment("inc-b", "E-2", "assigned", route),
                assignment("inc-a", "E-1", "recommended", route),
                assignment("inc-a", "E-1", "assigned", route),
            ],
            key="incident_id",
        )
        got: list[dict[str, Any]] = []
        while not any(m["type"] == "assignment" for m in got):
            got.append(orjson.loads(await asyncio.wait_for(ws.recv(), 10)))
        publish(settings, "incidents", [incident("inc-a", version=2, status="dispatched")])
        with contextlib.suppress(TimeoutError):
            while True:
                got.append(orjson.loads(await asyncio.wait_for(ws.recv(), 1.5)))
    # The projector reads each topic's partitions in the order fetched: when the order is
    # read before the incident's first state (another topic), that state is already the
    # crew's and reaches it too; an overlay read before the order is not yet ours.
    seen = [(m["type"], m["data"].get("status", "")) for m in got]
    kinds = sorted(k for k in seen if k != ("incident", "open"))
    assert kinds == [("assignment", "assigned"), ("incident", "dispatched")] or kinds == [
        ("assignment", "assigned"),
        ("incident", "dispatched"),
        ("overlay", ""),
    ], kinds
    text = orjson.dumps(got).decode()
    assert "inc-b" not in text and "E-2" not in text and "recommended" not in text
    async with httpx.AsyncClient(base_url=settings.console_url, timeout=10) as http:
        view = (await http.get("/api/crew/E-1", headers=bearer(crew))).json()
        other = await http.get("/api/crew/E-2", headers=bearer(crew))
    assert other.status_code == 403
    assert view["incident"]["id"] == "inc-a" and view["assignment"]["unit_id"] == "E-1"
    assert len(view["hydrants"]) == 5 and view["hazard_zone"]["type"] == "Polygon"
    distances = [h["distance_m"] for h in view["hydrants"]]
    assert distances == sorted(distances)
    assert "inc-b" not in orjson.dumps(view).decode()


async def test_alerts_cap_feed_and_public_socket(settings: Settings, console: Process) -> None:
    steps = gas_leak_alerts("inc-gas-live")
    base = settings.console_url.replace("http", "ws")
    async with websockets.connect(f"{base}/ws/public") as public:
        assert orjson.loads(await public.recv()) == {
            "type": "snapshot",
            "data": {"alerts": [], "closures": []},
        }
        publish(settings, "alerts", [steps["draft"]])
        dispatcher = bearer(token(settings, Role.DISPATCHER))
        cap_path = f"/api/alerts/{steps['draft']['id']}/cap"
        async with httpx.AsyncClient(base_url=settings.console_url, timeout=10) as http:

            async def drafted() -> bool:
                return (await http.get(cap_path, headers=dispatcher)).status_code == 200

            await eventually(drafted)
            assert (await http.get(cap_path)).status_code == 404  # a draft is not public
            assert (await http.get("/api/public/alerts")).json() == []
            publish(settings, "alerts", [steps["sent"]])
            frame = orjson.loads(await asyncio.wait_for(public.recv(), 10))
            assert frame["type"] == "alert" and frame["data"]["status"] == "sent"
            assert "audit" not in frame["data"] and "approvals" not in frame["data"]
            assert "010-1234-5678" not in orjson.dumps(frame).decode()
            cap = await http.get(cap_path)
            assert cap.status_code == 200
            assert cap.headers["content-type"].startswith("application/cap+xml")
            validate_cap(cap.content)
            feed = await http.get("/alerts/feed")
            assert feed.headers["content-type"].startswith("application/atom+xml")
            links = etree.fromstring(feed.content).findall(".//{http://www.w3.org/2005/Atom}link")
            assert any(link.get("href", "").endswith(cap_path) for link in links)
            listed = (await http.get("/api/public/alerts")).json()
            assert [a["id"] for a in listed] == [steps["sent"]["id"]]


@pytest.fixture
def small_buffer_console(settings: Settings, tmp_path: Path) -> Iterator[Process]:
    """A console that holds at most 1 MB of text for one socket (the default is 32)."""
    proc = start_console(settings.replace(ws_client_buffer_mb=1), tmp_path)
    yield proc
    proc.stop()


async def test_a_slow_socket_is_dropped_without_stalling_the_others(
    settings: Settings, small_buffer_console: Process
) -> None:
    console = small_buffer_console
    base = settings.console_url.replace("http", "ws")
    url = f"{base}/ws/console"
    dispatcher = bearer(token(settings, Role.DISPATCHER))
    host, port = settings.console_host, settings.console_port
    raw = socket.create_connection((host, port))
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    slow = await websockets.connect(
        url,
        sock=raw,
        max_queue=1,
        compression=None,
        ping_interval=None,
        max_size=None,
        additional_headers=dispatcher,
    )
    fast = await websockets.connect(
        url, compression=None, max_size=None, additional_headers=dispatcher
    )
    await fast.recv()  # snapshot
    n = 1500
    padding = "연기 " * 900  # ≈ 6 kB frames, so buffers fill fast
    items = [
        (f"inc-slow-{i}".encode(), incident(f"inc-slow-{i}", description=padding)) for i in range(n)
    ]
    seen = 0

    async def paced_producer() -> None:  # ≈ 400 updates/s: a busy city, not a replay burst
        for start in range(0, n, 40):
            chunk = items[start : start + 40]
            await asyncio.to_thread(produce, settings.kafka_bootstrap, topic, chunk)
            await asyncio.sleep(0.1)

    topic = Topics(settings.topic_prefix).incidents
    producing = asyncio.create_task(paced_producer())
    try:
        while seen < n:
            msg = orjson.loads(await asyncio.wait_for(fast.recv(), 20))
            seen += msg["type"] == "incident"
    except (websockets.ConnectionClosed, TimeoutError) as exc:
        pytest.fail(
            f"the fast client stopped after {seen} frames: {exc!r}\n{console.log()[-2000:]}"
        )
    await producing
    async with httpx.AsyncClient(base_url=settings.console_url, timeout=10) as http:
        metrics = (await http.get("/metrics")).text
    assert "gt_ws_dropped_slow_total 1.0" in metrics
    assert "gt_ws_clients 1.0" in metrics  # the hub let go of the stuck client at once
    assert slow.transport is not None
    slow.transport.abort()
    await fast.close()


async def test_two_console_replicas_agree_through_the_log_and_redis(
    settings: Settings, console: Process, tmp_path: Path
) -> None:
    second_settings = settings.replace(console_port=free_port())
    second = start_console(second_settings, tmp_path / "replica")
    try:
        dispatcher = token(settings, Role.DISPATCHER)
        urls = [s.console_url.replace("http", "ws") for s in (settings, second_settings)]
        sockets = [
            await websockets.connect(f"{u}/ws/console", additional_headers=bearer(dispatcher))
            for u in urls
        ]
        for ws in sockets:
            assert orjson.loads(await ws.recv())["type"] == "snapshot"
        publish(settings, "incidents", [incident("inc-replica-1")])
        for ws in sockets:
            msg = orjson.loads(await asyncio.wait_for(ws.recv(), 10))
            assert msg["type"] == "incident" and msg["data"]["id"] == "inc-replica-1"
        async with httpx.AsyncClient(timeout=10) as http:
            r = await http.post(
                f"{settings.console_url}/api/incidents/inc-replica-1/resolve",
                headers=bearer(dispatcher),
            )
            audit = await http.get(
                f"{second_settings.console_url}/api/audit",
                headers=bearer(token(settings, Role.SUPERVISOR)),
            )
            listed = await http.get(
                f"{second_settings.console_url}/api/incidents", headers=bearer(dispatcher)
            )
        assert [a["command_id"] for a in audit.json()] == [r.json()["id"]]
        assert [i["id"] for i in listed.json()] == ["inc-replica-1"]
        for ws in sockets:
            await ws.close()
    finally:
        second.stop()
