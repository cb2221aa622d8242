"""Security on the real stack (issue 9): token expiry and revocation, the role matrix over
the ingest routes, read routes and sockets, rate limits on public endpoints, and a scan of
everything a surge produced for callers' phone numbers."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
import redis
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from access import Role, TokenAuthority
from console.auth import WS_FORBIDDEN, WS_UNAUTHENTICATED
from stack.embedded import EmbeddedBroker, EmbeddedCache
from stack.settings import Settings
from streams.topics import OUTPUT_TOPICS, Topics
from tests.conftest import Process
from tests.system.nasty import valid_event
from tests.system.surge import account, api, deployment, poll, read_all, recent_mix, send, token

pytestmark = [pytest.mark.integration, pytest.mark.slow]

Stack = tuple[Settings, Process, Process | None]
PHONE = re.compile(r"\+82-10-\d{4}-\d{4}")


@pytest.fixture(scope="module")
def stack(
    broker: EmbeddedBroker, cache: EmbeddedCache, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """One worker and one console for the module."""
    with deployment(broker, cache, tmp_path_factory.mktemp("security")) as running:
        yield running


def ws_url(settings: Settings, path: str) -> str:
    """The WebSocket URL of a console path."""
    return f"ws://{settings.console_host}:{settings.console_port}{path}"


async def ws_outcome(settings: Settings, path: str, tok: str | None) -> str | int:
    """ "snapshot" when the socket opens with a snapshot, else the close code it got."""
    headers = {"Authorization": f"Bearer {tok}"} if tok else {}
    try:
        async with connect(ws_url(settings, path), additional_headers=headers) as ws:
            first = orjson.loads(await asyncio.wait_for(ws.recv(), 10))
            return str(first["type"])
    except ConnectionClosed as exc:
        return exc.rcvd.code if exc.rcvd else -1


async def test_expired_token_is_refused_on_routes_and_sockets(stack: Stack) -> None:
    """A token past its expiry gets 401 on a route and close code 4401 on a socket."""
    settings, _, _ = stack
    short = token(settings, Role.DISPATCHER, ttl_s=1.0)
    async with httpx.AsyncClient(base_url=settings.console_url, timeout=10) as http:
        auth = {"Authorization": f"Bearer {short}"}
        assert (await http.get("/api/incidents", headers=auth)).status_code == 200
        await asyncio.sleep(1.5)
        resp = await http.get("/api/incidents", headers=auth)
    assert resp.status_code == 401 and "expired" in resp.json()["detail"]
    assert await ws_outcome(settings, "/ws/console", short) == WS_UNAUTHENTICATED


async def test_revoked_token_is_refused_at_once(stack: Stack) -> None:
    """Adding a token's id to the revocation set locks it out of routes and sockets."""
    settings, _, _ = stack
    tok = token(settings, Role.SUPERVISOR)
    token_id = TokenAuthority(settings.auth_secret.encode()).verify(tok).token_id
    auth = {"Authorization": f"Bearer {tok}"}
    async with httpx.AsyncClient(base_url=settings.console_url, timeout=10) as http:
        assert (await http.get("/api/units", headers=auth)).status_code == 200
        assert await ws_outcome(settings, "/ws/console", tok) == "snapshot"
        client = redis.Redis.from_url(settings.redis_url)
        try:
            client.sadd(f"{settings.namespace}:revoked-tokens", token_id)
        finally:
            client.close()
        resp = await http.get("/api/units", headers=auth)
        assert resp.status_code == 401 and "revoked" in resp.json()["detail"]
        other = {"Authorization": f"Bearer {token(settings, Role.SUPERVISOR)}"}
        assert (await http.get("/api/units", headers=other)).status_code == 200
    assert await ws_outcome(settings, "/ws/console", tok) == WS_UNAUTHENTICATED


def forged(settings: Settings) -> str:
    """A well-formed token signed with another secret."""
    return TokenAuthority(b"another-secret-of-32-bytes-long!").mint(Role.SUPERVISOR, "mallory")


INGEST = {
    # role → expected status of POST /api/<base> for a valid event of another unit
    None: 401,
    "forged": 401,
    Role.SERVICE: 202,
    Role.DISPATCHER: 202,
    Role.SUPERVISOR: 202,
    Role.CREW: 403,
}
READS = {
    "/api/incidents": {Role.DISPATCHER, Role.SUPERVISOR},
    "/api/units": {Role.DISPATCHER, Role.SUPERVISOR},
    "/api/alerts": {Role.DISPATCHER, Role.SUPERVISOR},
    "/api/assignments": {Role.DISPATCHER, Role.SUPERVISOR},
    "/api/audit": {Role.SUPERVISOR},
}
SOCKETS = {
    "/ws/console": {Role.DISPATCHER, Role.SUPERVISOR},
    "/ws/crew/E-1": {Role.DISPATCHER, Role.SUPERVISOR, Role.CREW},
    "/ws/crew/E-2": {Role.DISPATCHER, Role.SUPERVISOR},
}


def bearer(settings: Settings, who: Role | str | None) -> dict[str, str]:
    """Authorization header for a role (a crew is unit E-1), a forged token or nobody."""
    if who is None:
        return {}
    if who == "forged":
        return {"Authorization": f"Bearer {forged(settings)}"}
    assert isinstance(who, Role)
    unit = "E-1" if who is Role.CREW else None
    return {"Authorization": f"Bearer {token(settings, who, unit_id=unit)}"}


@pytest.mark.parametrize("base", ["calls", "cctv-events", "sensor-alarms", "unit-status"])
async def test_role_matrix_on_ingest(stack: Stack, base: str) -> None:
    """Who may post to each ingest route; a crew only its own unit's status."""
    settings, _, _ = stack
    async with httpx.AsyncClient(base_url=settings.console_url, timeout=10) as http:
        for who, expected in INGEST.items():
            body = valid_event(base, f"rm-{base}-{who}".replace(".", "-"))
            resp = await http.post(f"/api/{base}", json=body, headers=bearer(settings, who))
            assert resp.status_code == expected, f"{who} on {base}: {resp.text}"
        if base == "unit-status":
            own = valid_event(base, "E-1")
            resp = await http.post(f"/api/{base}", json=own, headers=bearer(settings, Role.CREW))
            assert resp.status_code == 202, resp.text


async def test_role_matrix_on_reads_and_sockets(stack: Stack) -> None:
    """Read routes and sockets admit exactly the roles that may see them."""
    settings, _, _ = stack
    everyone: list[Role | str | None] = [None, "forged", *Role]
    async with httpx.AsyncClient(base_url=settings.console_url, timeout=10) as http:
        for path, allowed in READS.items():
            for who in everyone:
                code = (await http.get(path, headers=bearer(settings, who))).status_code
                want = 200 if who in allowed else 401 if who in (None, "forged") else 403
                assert code == want, f"GET {path} as {who}: {code}"
    for path, allowed in SOCKETS.items():
        for who in everyone:
            got = await ws_outcome(
                settings, path, bearer(settings, who).get("Authorization", "")[7:] or None
            )
            expected: str | int = "snapshot"
            if who not in allowed:
                expected = WS_UNAUTHENTICATED if who in (None, "forged") else WS_FORBIDDEN
            assert got == expected, f"{path} as {who}: {got}"
    assert await ws_outcome(settings, "/ws/public", None) == "snapshot"


async def test_no_caller_phone_number_anywhere_public(stack: Stack) -> None:
    """After a surge of calls (each with a caller phone), and alerts approved for the public,
    no phone number appears on the output topics, the public socket, the public API, the
    Atom feed or the worker's and console's logs (info level)."""
    settings, worker, console = stack
    assert console is not None
    mix = recent_mix(600, seed=9)
    phones = {
        str(orjson.loads(v)["caller"]["phone"])
        for base, _, v, _ in mix.inputs
        if base == "calls" and b'"phone"' in v
    }
    assert len(phones) > 100
    public_frames: list[str] = []
    stop = asyncio.Event()

    async def listen() -> None:
        async with connect(ws_url(settings, "/ws/public")) as ws:
            while not stop.is_set():
                try:
                    public_frames.append(str(await asyncio.wait_for(ws.recv(), 0.5)))
                except TimeoutError:
                    continue

    listener = asyncio.create_task(listen())
    try:
        send(settings, mix, rate_per_s=400)
        await account(settings, mix, timeout_s=90)
        await approve_some_alerts(settings)
        async with httpx.AsyncClient(base_url=settings.console_url, timeout=10) as http:

            async def some_public() -> bool:
                return bool((await http.get("/api/public/alerts")).json())

            assert await poll(some_public, 30), "no alert became public: the scan proves little"
            public = (await http.get("/api/public/alerts")).text
            feed = (await http.get("/alerts/feed")).text
    finally:
        stop.set()
        await listener
    topics = Topics(settings.topic_prefix)
    outputs = {
        base: orjson.dumps(await read_all(settings, topics.name(base))).decode()
        for base in OUTPUT_TOPICS
        if base != "deadletter"  # an operator's topic: it keeps refused payloads for replay
    }
    places = {
        **outputs,
        "ws-public": "\n".join(public_frames),
        "api-public": public,
        "atom-feed": feed,
        "worker-log": worker.log(),
        "console-log": console.log(),
    }
    assert public_frames, "the public socket sent nothing"
    leaks = {where: sorted(set(PHONE.findall(text)) & phones)[:3] for where, text in places.items()}
    assert not {k: v for k, v in leaks.items() if v}, leaks


async def approve_some_alerts(settings: Settings, limit: int = 5) -> None:
    """Two dispatchers approve up to ``limit`` drafted alerts (two-person rule)."""
    async with (
        api(settings, subject="approver-a") as first,
        api(settings, subject="approver-b") as second,
    ):

        async def drafts() -> list[dict[str, Any]]:
            alerts = (await first.get("/api/alerts")).json()
            return [a for a in alerts if a.get("status") == "draft"]

        assert await poll(lambda: _nonempty(drafts), 30), "the surge drafted no alert"
        for alert in (await drafts())[:limit]:
            for client in (first, second):
                resp = await client.post(f"/api/alerts/{alert['id']}/approve", json={})
                assert resp.status_code == 202, resp.text


async def _nonempty(fetch: Any) -> bool:
    return bool(await fetch())


async def test_public_endpoints_are_rate_limited(stack: Stack) -> None:
    """A burst of 500 anonymous requests to a public endpoint meets 429 Too Many Requests."""
    settings, _, _ = stack
    async with httpx.AsyncClient(base_url=settings.console_url, timeout=10) as http:
        started = time.monotonic()
        codes = [(await http.get("/api/public/alerts")).status_code for _ in range(500)]
    assert time.monotonic() - started < 60
    assert 429 in codes
