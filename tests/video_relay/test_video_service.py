"""The service around the relay: no cache means no viewing; supervised background tasks."""

from __future__ import annotations

import asyncio
import json
import socket

import httpx
import pytest
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from test_video_sockets import expect_close, open_source, open_viewer
from video_relay_kit import CITY_HALL, StartRelay

from access import Role
from video_relay.audit import AuditLog
from video_relay.config import RelayConfig
from video_relay.jpeg import synthetic_jpeg
from video_relay.service import ingest_secret_for
from video_relay.supervisor import TaskSupervisor


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.mark.integration
async def test_without_the_cache_nobody_views_and_readiness_says_so(
    start_relay: StartRelay,
) -> None:
    dead = aioredis.Redis(
        host="127.0.0.1",
        port=closed_port(),
        socket_connect_timeout=0.2,
        retry=Retry(NoBackoff(), 0),
    )
    relay = await start_relay(redis=dead)
    async with httpx.AsyncClient(base_url=relay.http) as client:
        ready = await client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["redis"] is False
        assert (await client.get("/healthz")).status_code == 200
    ws = await open_viewer(relay, CITY_HALL.id, token=relay.token(Role.DISPATCHER))
    assert (await expect_close(ws))[0] == 4503
    await dead.aclose()


@pytest.mark.integration
async def test_a_camera_seen_by_a_viewer_says_who_is_watching(start_relay: StartRelay) -> None:
    relay = await start_relay()
    ws = await open_viewer(relay, CITY_HALL.id, token=relay.token(Role.DISPATCHER))
    session = json.loads(await ws.recv())
    assert session["camera"]["id"] == CITY_HALL.id and session["session_id"]
    async with httpx.AsyncClient(base_url=relay.http) as client:
        headers = {"Authorization": f"Bearer {relay.token(Role.DISPATCHER)}"}
        cams = (await client.get("/api/video/cameras", headers=headers)).json()["cameras"]
    assert {c["id"]: c["viewers"] for c in cams}[CITY_HALL.id] == 1
    await ws.close()


async def test_supervisor_restarts_a_crashed_task_and_stops_all() -> None:
    supervisor = TaskSupervisor(restart_after_s=0.01)
    runs = 0

    async def flaky() -> None:
        nonlocal runs
        runs += 1
        if runs < 3:
            raise RuntimeError("boom")
        await asyncio.sleep(3600)

    supervisor.start("flaky", flaky)
    with pytest.raises(RuntimeError):
        supervisor.start("flaky", flaky)
    for _ in range(100):
        if runs >= 3:
            break
        await asyncio.sleep(0.01)
    assert runs == 3 and supervisor.crashes == {"flaky": 2}
    assert supervisor.running("flaky") and supervisor.names() == ["flaky"]
    await supervisor.stop_all()
    assert not supervisor.running("flaky")


def test_config_refuses_unsafe_values_and_derives_the_ingest_secret() -> None:
    secret = ingest_secret_for("a-deployment-secret-of-some-length")
    assert len(secret) == 32 and secret != ingest_secret_for("another-deployment-secret-xx")
    assert RelayConfig(ingest_secret=secret, topic_prefix="p.").namespace == "gt:p."
    for bad in ({"ingest_secret": b"short"}, {"ingest_secret": secret, "grace_s": 0}):
        with pytest.raises(ValueError):
            RelayConfig(**bad)  # type: ignore[arg-type]


@pytest.mark.integration
async def test_viewer_is_told_when_the_signal_stops_and_returns(start_relay: StartRelay) -> None:
    relay = await start_relay(stale_after_s=0.3)
    ws = await open_viewer(relay, CITY_HALL.id, token=relay.token(Role.DISPATCHER))
    assert json.loads(await ws.recv())["type"] == "session"
    source, _ = await open_source(relay, CITY_HALL.id)
    await source.send(synthetic_jpeg({"seq": 1}))
    assert isinstance(await asyncio.wait_for(ws.recv(), 2), bytes)
    assert json.loads(await asyncio.wait_for(ws.recv(), 2)) == {
        "type": "source",
        "state": "no_signal",
    }
    await source.send(synthetic_jpeg({"seq": 2}))
    assert isinstance(await asyncio.wait_for(ws.recv(), 2), bytes)
    assert json.loads(await asyncio.wait_for(ws.recv(), 2)) == {"type": "source", "state": "live"}
    for conn in (ws, source):
        await conn.close()


@pytest.mark.integration
async def test_sessions_running_at_shutdown_are_ended_in_the_audit(start_relay: StartRelay) -> None:
    relay = await start_relay()
    ws = await open_viewer(relay, CITY_HALL.id, token=relay.token(Role.DISPATCHER, "late"))
    assert json.loads(await ws.recv())["type"] == "session"
    relay.server.should_exit = True
    await asyncio.wait_for(relay.task, 10)
    code, _ = await expect_close(ws)
    assert code in (1001, 1012)
    (session,) = await AuditLog(relay.redis, relay.namespace).sessions(camera_id=CITY_HALL.id)
    assert session.subject == "late" and session.ended_at is not None
