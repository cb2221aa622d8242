"""Running sessions over real sockets: rights rechecked, caps kept, limits and sources enforced."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest
from test_video_sockets import ended_sessions, expect_close, open_source, open_viewer
from video_relay_kit import CITY_HALL, PLAZA, StartRelay
from websockets.asyncio.client import connect

from access import Role
from access.sessions import SESSION_COOKIE, SessionStore
from tests.console.conftest import bearer
from video_relay.cameras import CameraEntry
from video_relay.jpeg import synthetic_jpeg

pytestmark = pytest.mark.integration


async def test_expired_or_revoked_token_ends_a_running_session(start_relay: StartRelay) -> None:
    relay = await start_relay(recheck_s=0.1)
    short = relay.authority.mint(Role.DISPATCHER, "disp-short", ttl_s=0.8)
    ws = await open_viewer(relay, CITY_HALL.id, token=short)
    assert json.loads(await ws.recv())["type"] == "session"
    assert (await expect_close(ws))[0] == 4401

    token = relay.token(Role.DISPATCHER, "disp-revoked")
    ws = await open_viewer(relay, PLAZA.id, token=token)
    assert json.loads(await ws.recv())["type"] == "session"
    token_id = relay.authority.verify(token).token_id
    await relay.redis.sadd(f"{relay.namespace}:revoked-tokens", token_id)
    assert (await expect_close(ws))[0] == 4401
    again = await open_viewer(relay, PLAZA.id, token=token)
    assert (await expect_close(again))[0] == 4401
    (ended,) = await ended_sessions(relay, CITY_HALL.id, 1)
    assert (ended["subject"], ended["end_code"]) == ("disp-short", 4401)


async def test_crew_losing_its_assignment_loses_the_feed(start_relay: StartRelay) -> None:
    relay = await start_relay(recheck_s=0.1)
    ns = relay.namespace
    await relay.redis.hset(f"{ns}:unit-assignment", "A-1", "INC-7")
    overlay = {"cameras": [{"id": PLAZA.id}]}
    await relay.redis.hset(f"{ns}:overlays", "INC-7", json.dumps(overlay))
    ws = await open_viewer(
        relay, PLAZA.id, token=relay.token(Role.CREW, "crew", "A-1"), query="reason=en+route"
    )
    assert json.loads(await ws.recv())["type"] == "session"
    await asyncio.sleep(0.3)
    await relay.redis.hdel(f"{ns}:unit-assignment", "A-1")
    assert (await expect_close(ws))[0] == 4403


async def test_viewer_rate_cap_and_viewer_limit(start_relay: StartRelay) -> None:
    relay = await start_relay(max_viewers_per_camera=2)
    token = relay.token(Role.DISPATCHER)
    capped = await open_viewer(relay, CITY_HALL.id, token=token, query="reason=x&max_fps=5")
    hello = json.loads(await capped.recv())
    assert hello["max_fps"] == 5.0
    full = await open_viewer(relay, CITY_HALL.id, token=token, query="reason=x&max_fps=999")
    assert json.loads(await full.recv())["max_fps"] == relay.relay.config.max_fps
    third = await open_viewer(relay, CITY_HALL.id, token=token)
    assert (await expect_close(third))[0] == 4429

    source, _ = await open_source(relay, CITY_HALL.id)
    got = {"capped": 0, "full": 0}
    arrived = asyncio.Event()

    async def count(name: str, ws: object) -> None:
        while True:
            await ws.recv()  # type: ignore[attr-defined]
            got[name] += 1
            arrived.set()

    async def received(n: int) -> None:
        while got["full"] < n:
            arrived.clear()
            await arrived.wait()

    readers = [
        asyncio.create_task(count("capped", capped)),
        asyncio.create_task(count("full", full)),
    ]
    start = time.perf_counter()
    for seq in range(40):  # 20 fps for 2 s
        await asyncio.sleep(max(0.0, start + seq / 20 - time.perf_counter()))
        await source.send(synthetic_jpeg({"seq": seq}, 2000))
        # the next frame once the full-rate viewer has this one: a loaded machine that falls
        # behind the schedule sends late, never two frames at once (a newer frame replaces
        # one still waiting, even for a viewer under its cap)
        await asyncio.wait_for(received(seq + 1), 3)
    await asyncio.sleep(0.2)
    for reader in readers:
        reader.cancel()
    window_s = time.perf_counter() - start  # ≈ 2.2 s; longer when the machine is loaded
    assert got["full"] == 40
    assert 8 <= got["capped"] <= 5 * window_s + 2  # 5 fps over the window, plus the burst
    for ws in (capped, full, source):
        await ws.close()


async def test_a_new_source_supersedes_the_old_and_oversized_frames_close_it(
    start_relay: StartRelay,
) -> None:
    relay = await start_relay(max_frame_bytes=20_000)
    first, _ = await open_source(relay, CITY_HALL.id)
    second, _ = await open_source(relay, CITY_HALL.id)
    assert (await expect_close(first))[0] == 4409
    viewer = await open_viewer(relay, CITY_HALL.id, token=relay.token(Role.DISPATCHER))
    assert json.loads(await viewer.recv())["type"] == "session"
    await second.send(b"not a jpeg")
    reply = json.loads(await asyncio.wait_for(second.recv(), 3))
    while reply["type"] != "error":
        reply = json.loads(await asyncio.wait_for(second.recv(), 3))
    await second.send(synthetic_jpeg(size_bytes=22_000))
    assert (await expect_close(second))[0] == 4413
    third, _ = await open_source(relay, CITY_HALL.id)
    await third.send(synthetic_jpeg(size_bytes=40_000))  # beyond the protocol's own limit
    assert (await expect_close(third))[0] == 1009
    await viewer.close()


async def test_a_crew_registers_its_own_body_camera_only(start_relay: StartRelay) -> None:
    relay = await start_relay()

    crew = {"Authorization": f"Bearer {relay.token(Role.CREW, 'c', unit_id='E-1')}"}
    body = {"id": "BODY-E-1", "kind": "body_cam", "unit_id": "E-1", "lon": 126.97, "lat": 37.56}
    async with httpx.AsyncClient(base_url=relay.http) as client:
        created = await client.post("/api/video/cameras", json=body, headers=crew)
        assert created.status_code == 201
        other = {**body, "id": "BODY-E-2", "unit_id": "E-2"}
        assert (
            await client.post("/api/video/cameras", json=other, headers=crew)
        ).status_code == 403
        listed = (await client.get("/api/video/cameras", headers=crew)).json()
        assert "BODY-E-1" in {c["id"] for c in listed["cameras"]}
        assert (await client.get("/api/video/cameras")).status_code == 401
        assert (await client.delete("/api/video/cameras/BODY-E-1", headers=crew)).status_code == 204
        assert (await client.get("/api/video/cameras/BODY-E-1", headers=crew)).status_code == 404
    ws = await connect(relay.ws("/ws/ingest/BODY-E-1"), additional_headers=bearer("x"))
    assert (await expect_close(ws))[0] == 4404


async def test_viewers_of_a_camera_that_leaves_are_told(start_relay: StartRelay) -> None:
    relay = await start_relay(recheck_s=0.1)
    relay.relay.registry.register(CameraEntry("DRONE-9", 126.97, 37.56, kind="drone"))
    ws = await open_viewer(relay, "DRONE-9", token=relay.token(Role.SUPERVISOR))
    assert json.loads(await ws.recv())["type"] == "session"
    relay.relay.registry.unregister("DRONE-9")
    assert (await expect_close(ws))[0] == 4404


@pytest.mark.timeout(30)
async def test_signing_out_ends_a_running_session_viewed_by_the_cookie(
    start_relay: StartRelay,
) -> None:
    """A page's viewer rides on the console session: when it ends (signed out, or past its
    12 h) the running video stops too, not only the next socket."""
    relay = await start_relay(recheck_s=0.1)
    sessions = SessionStore(relay.redis, relay.namespace)
    session_id, _ = await sessions.start(relay.token(Role.DISPATCHER), time.time() + 600)
    page = {"Cookie": f"{SESSION_COOKIE}={session_id}", "Origin": "http://127.0.0.1:8080"}
    ws = await connect(relay.ws(f"/ws/video/{CITY_HALL.id}?reason=drill"), additional_headers=page)
    try:
        assert json.loads(await ws.recv())["type"] == "session"
        await asyncio.sleep(0.3)  # rechecked while the session lives: still open
        assert ws.close_code is None
        await sessions.end(session_id)
        assert (await expect_close(ws))[0] == 4401
    finally:
        await ws.close()
