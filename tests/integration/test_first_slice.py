"""The first end-to-end slice on the real broker, cache, worker and console."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import orjson
import pytest
import websockets

from access import Role, TokenAuthority
from stack.settings import Settings
from streams.topics import Topics
from tests.conftest import Process
from tests.console.conftest import bearer
from tests.kafka_io import produce, read_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]
KST = timezone(timedelta(hours=9))
CITY_HALL = {"lon": 126.9780, "lat": 37.5665}  # inside the built-in city (central Seoul)


def call(
    call_id: str,
    lon: float = CITY_HALL["lon"],
    lat: float = CITY_HALL["lat"],
    category: str = "fire",
) -> dict[str, Any]:
    return {
        "id": call_id,
        "received_at": datetime.now(KST).isoformat(),
        "location": {"lon": lon, "lat": lat, "accuracy_m": 30},
        "category": category,
        "description": "smoke from 3rd floor",
        "address": "서울특별시 중구 세종대로 110",
        "caller": {"phone": "+82-10-1234-5678", "language": "ko"},
    }


def token(settings: Settings, role: Role = Role.DISPATCHER, unit: str | None = None) -> str:
    return TokenAuthority(settings.auth_secret.encode()).mint(role, "test", unit_id=unit)


async def test_call_becomes_incident_on_topic_and_console(
    settings: Settings, worker: Process, console: Process
) -> None:
    topics = Topics(settings.topic_prefix)
    url = settings.console_url.replace("http", "ws") + "/ws/console"
    async with websockets.connect(url, additional_headers=bearer(token(settings))) as ws:
        snapshot = orjson.loads(await ws.recv())
        assert snapshot["type"] == "snapshot" and snapshot["data"]["incidents"] == []
        produce(settings.kafka_bootstrap, topics.calls, [(b"call-e2e-1", call("call-e2e-1"))])
        while True:
            msg = orjson.loads(await ws.recv())
            if msg["type"] == "incident":
                break
    incident = msg["data"]
    assert incident["type"] == "fire" and incident["status"] == "open"
    assert incident["golden_time_s"] == 420
    assert [e["id"] for e in incident["evidence"]] == ["call-e2e-1"]
    assert "phone" not in orjson.dumps(incident).decode()
    on_topic = await read_until(settings.kafka_bootstrap, topics.incidents, lambda r: len(r) >= 1)
    assert on_topic[0]["id"] == incident["id"]


async def test_malformed_call_is_dead_lettered_and_worker_keeps_going(
    settings: Settings, worker: Process
) -> None:
    topics = Topics(settings.topic_prefix)
    produce(
        settings.kafka_bootstrap,
        topics.calls,
        [
            (b"bad", b'{"id": "bad-1", "location": "nowhere"'),
            (b"bad2", b"\xff\xfe not utf-8"),
            (b"bad3", orjson.dumps({**call("call-far"), "location": {"lon": 2.35, "lat": 48.85}})),
            (b"ok", call("call-after-bad")),
        ],
    )
    dead = await read_until(settings.kafka_bootstrap, topics.deadletter, lambda r: len(r) >= 3)
    by_payload = {d["payload_encoding"]: d for d in dead}
    assert "not valid UTF-8 JSON" in dead[0]["error"] or "not valid UTF-8 JSON" in dead[1]["error"]
    assert by_payload["base64"]["source_topic"] == topics.calls
    assert any("outside the service area" in d["error"] for d in dead)
    assert all(d["offset"] >= 0 and d["received_at"] for d in dead)
    incidents = await read_until(
        settings.kafka_bootstrap,
        topics.incidents,
        lambda r: any(i["evidence"][0]["id"] == "call-after-bad" for i in r),
    )
    assert incidents and worker.alive()


async def test_duplicate_id_and_nearby_call_fuse_into_one_incident(
    settings: Settings, worker: Process
) -> None:
    topics = Topics(settings.topic_prefix)
    first = call("call-dup-1")
    near = call("call-near-2", lon=CITY_HALL["lon"] + 0.0005)  # ≈ 44 m east
    produce(
        settings.kafka_bootstrap,
        topics.calls,
        [(b"call-dup-1", first), (b"call-dup-1", first), (b"call-near-2", near)],
    )
    states = await read_until(
        settings.kafka_bootstrap,
        topics.incidents,
        lambda r: any(len(i["evidence"]) == 2 for i in r),
    )
    assert len({s["id"] for s in states}) == 1
    # the two keys may sit on different partitions: their order at fusion is not defined
    assert sorted(e["id"] for e in states[-1]["evidence"]) == ["call-dup-1", "call-near-2"]


async def test_http_ingest_accepts_valid_and_explains_invalid(
    settings: Settings, worker: Process, console: Process
) -> None:
    service = {"Authorization": "Bearer " + token(settings, Role.SERVICE)}
    async with httpx.AsyncClient(base_url=settings.console_url, timeout=10) as http:
        ok = await http.post("/api/calls", json=call("call-http-1"), headers=service)
        assert ok.status_code == 202 and ok.json()["id"] == "call-http-1"
        bad = await http.post("/api/calls", content=b'{"id": "x"}', headers=service)
        assert bad.status_code == 422 and "received_at" in bad.json()["detail"]
        anonymous = await http.post("/api/calls", json=call("call-http-2"))
        assert anonymous.status_code == 401
        crew = {"Authorization": "Bearer " + token(settings, Role.CREW, unit="E-1")}
        assert (await http.post("/api/calls", json=call("c3"), headers=crew)).status_code == 403
        for probe in ("/healthz", "/readyz", "/metrics"):
            assert (await http.get(probe)).status_code == 200
        incidents = await http.get(
            "/api/incidents", headers={"Authorization": "Bearer " + token(settings)}
        )
        assert incidents.status_code == 200
    got = await read_until(
        settings.kafka_bootstrap,
        Topics(settings.topic_prefix).incidents,
        lambda r: any(i["evidence"][0]["id"] == "call-http-1" for i in r),
    )
    assert got


async def test_console_socket_refuses_without_a_dispatcher_token(
    settings: Settings, console: Process
) -> None:
    base = settings.console_url.replace("http", "ws")
    for presented, code in [
        (None, 4401),
        ("forged.token.x", 4401),
        (token(settings, Role.CREW, unit="E-1"), 4403),
    ]:
        async with websockets.connect(
            base + "/ws/console", additional_headers=bearer(presented)
        ) as ws:
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await ws.recv()
            assert closed.value.rcvd is not None and closed.value.rcvd.code == code
