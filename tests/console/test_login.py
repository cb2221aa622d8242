"""Signing in without a token in any URL or in the browser's reach: the session cookie,
one-time links, cross-site requests and sockets refused, signing out, revocation."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import orjson
import pytest
import websockets

from access import BEARER_SUBPROTOCOL, Role
from access.sessions import SECURE_SESSION_COOKIE, SESSION_COOKIE
from console.auth import SOCKET_RECHECK_S
from console.login import mint_login_link
from stack.settings import Settings
from tests.conftest import Process, start_console
from tests.console.conftest import bearer, eventually
from tests.console.console_samples import CITY_HALL, token

pytestmark = pytest.mark.integration

EVIL = "http://evil.example"
PLACES = {"points": [{"id": "p-1", "lon": CITY_HALL[0], "lat": CITY_HALL[1]}]}


def attributes(set_cookie: str) -> dict[str, str]:
    """A ``Set-Cookie`` value as {name or attribute (lower case): value}."""
    name_value, *attrs = (part.strip() for part in set_cookie.split(";"))
    name, _, value = name_value.partition("=")
    out = {"name": name, "value": value}
    for attr in attrs:
        key, _, val = attr.partition("=")
        out[key.lower()] = val or "true"
    return out


async def signed_in(client: httpx.AsyncClient, tok: str, **headers: str) -> dict[str, str]:
    """The cookie attributes of a new session for ``tok`` (signed in from the console's page)."""
    origin = str(client.base_url).rstrip("/")
    answer = await client.post("/api/session", headers={**bearer(tok), "Origin": origin, **headers})
    assert answer.status_code == 200, answer.text
    assert tok not in answer.text  # the page is told who, never handed a token
    return attributes(answer.headers["set-cookie"])


def page_headers(settings: Settings, session_id: str, origin: str | None = None) -> dict[str, str]:
    """What a browser sends from a page: the cookie and the page's origin."""
    headers = {"Cookie": f"{SESSION_COOKIE}={session_id}"}
    headers["Origin"] = origin or settings.console_url
    return headers


async def socket_answer(url: str, headers: dict[str, str]) -> object:
    """The first frame's type, or the close code the console ends the socket with."""
    async with websockets.connect(url, additional_headers=headers) as ws:
        try:
            return orjson.loads(await ws.recv())["type"]
        except websockets.ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else None


async def test_a_session_cookie_is_httponly_strict_and_names_no_token(
    settings: Settings, console: Process
) -> None:
    dispatcher = token(settings, Role.DISPATCHER)
    async with httpx.AsyncClient(base_url=settings.console_url, timeout=10) as client:
        untrusted = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}
        cookie = await signed_in(client, dispatcher, **untrusted)  # no trusted proxy says so
        assert cookie["name"] == SESSION_COOKIE and cookie["value"] not in dispatcher
        assert cookie["httponly"] == "true" and cookie["samesite"] == "Strict"
        assert cookie["path"] == "/" and "secure" not in cookie  # plain HTTP here
        assert 0 < int(cookie["max-age"]) <= 3600
        client.cookies.clear()
        mine = page_headers(settings, cookie["value"])
        assert (await client.get("/api/incidents", headers=mine)).status_code == 200
        assert (await client.get("/api/incidents")).status_code == 401


async def test_a_one_time_link_is_exchanged_once_for_a_session(
    settings: Settings, console: Process
) -> None:
    dispatcher = token(settings, Role.DISPATCHER)
    code = mint_login_link(settings.redis_url, settings.namespace, dispatcher)
    async with httpx.AsyncClient(base_url=settings.console_url, timeout=10) as client:
        first = await client.post("/api/login-links/exchange", json={"code": code})
        assert first.status_code == 200 and first.json()["role"] == "dispatcher"
        assert dispatcher not in first.text
        cookie = attributes(first.headers["set-cookie"])
        assert cookie["httponly"] == "true" and cookie["samesite"] == "Strict"
        again = await client.post("/api/login-links/exchange", json={"code": code})
        assert again.status_code == 404
        guessed = await client.post("/api/login-links/exchange", json={"code": "a" * 32})
        assert guessed.status_code == 404


async def test_an_unused_link_expires(settings: Settings, console: Process) -> None:
    code = mint_login_link(
        settings.redis_url, settings.namespace, token(settings, Role.DISPATCHER), ttl_s=1
    )
    await asyncio.sleep(1.5)
    async with httpx.AsyncClient(base_url=settings.console_url, timeout=10) as client:
        late = await client.post("/api/login-links/exchange", json={"code": code})
        assert late.status_code == 404


async def test_an_api_route_takes_no_token_from_its_url(
    settings: Settings, console: Process
) -> None:
    dispatcher = token(settings, Role.DISPATCHER)
    async with httpx.AsyncClient(base_url=settings.console_url, timeout=10) as client:
        assert (await client.get("/api/incidents", headers=bearer(dispatcher))).status_code == 200
        assert (await client.get(f"/api/incidents?token={dispatcher}")).status_code == 401


async def test_me_names_who_is_signed_in_and_the_crew_its_unit(
    settings: Settings, console: Process
) -> None:
    crew = token(settings, Role.CREW, "A-1")
    async with httpx.AsyncClient(base_url=settings.console_url, timeout=10) as client:
        who = (await client.get("/api/me", headers=bearer(crew))).json()
        assert who["role"] == "crew" and who["unit_id"] == "A-1"
        cookie = await signed_in(client, crew)
        client.cookies.clear()
        by_cookie = await client.get("/api/me", headers=page_headers(settings, cookie["value"]))
        assert by_cookie.json() == who
        assert (await client.get("/api/me")).status_code == 401
        assert (await client.get("/api/session/check", headers=bearer(crew))).json() == who


async def test_a_cross_site_post_with_the_cookie_is_refused(
    settings: Settings, console: Process
) -> None:
    async with httpx.AsyncClient(base_url=settings.console_url, timeout=10) as client:
        cookie = await signed_in(client, token(settings, Role.DISPATCHER))
        client.cookies.clear()
        own = page_headers(settings, cookie["value"])
        assert (await client.post("/api/places", json=PLACES, headers=own)).status_code == 200
        cross_site = [
            page_headers(settings, cookie["value"], EVIL),
            {**own, "Sec-Fetch-Site": "cross-site"},
            {**own, "Sec-Fetch-Site": "same-site"},  # a sibling subdomain is another origin
            {"Cookie": own["Cookie"]},  # a client that hides where it comes from
        ]
        for headers in cross_site:
            refused = await client.post("/api/places", json=PLACES, headers=headers)
            assert refused.status_code == 403, headers
        # signing a victim's browser in as someone else is refused too (login CSRF)
        evil = {**bearer(token(settings, Role.DISPATCHER)), "Origin": EVIL}
        assert (await client.post("/api/session", headers=evil)).status_code == 403


async def test_a_cross_origin_socket_with_the_cookie_is_refused(
    settings: Settings, console: Process
) -> None:
    async with httpx.AsyncClient(base_url=settings.console_url, timeout=10) as client:
        cookie = await signed_in(client, token(settings, Role.DISPATCHER))
    url = settings.console_url.replace("http", "ws") + "/ws/console"
    own = page_headers(settings, cookie["value"])
    assert await socket_answer(url, own) == "snapshot"
    assert await socket_answer(url, page_headers(settings, cookie["value"], EVIL)) == 4403
    assert await socket_answer(url, {"Cookie": own["Cookie"]}) == 4403  # no Origin at all


async def test_signing_out_ends_the_session_on_the_server(
    settings: Settings, console: Process
) -> None:
    async with httpx.AsyncClient(base_url=settings.console_url, timeout=10) as client:
        cookie = await signed_in(client, token(settings, Role.DISPATCHER))
        client.cookies.clear()
        mine = page_headers(settings, cookie["value"])
        assert (await client.get("/api/incidents", headers=mine)).status_code == 200
        out = await client.post("/logout", headers=mine)
        assert out.status_code == 204
        cleared = attributes(out.headers["set-cookie"])
        assert cleared["name"] == SESSION_COOKIE and cleared["max-age"] == "0"
        # the same cookie, kept by whoever copied it, names nothing any more
        assert (await client.get("/api/incidents", headers=mine)).status_code == 401
    url = settings.console_url.replace("http", "ws") + "/ws/console"
    assert await socket_answer(url, mine) == 4401


async def test_a_revoked_tokens_session_is_refused(settings: Settings, console: Process) -> None:
    victim = token(settings, Role.DISPATCHER)
    async with httpx.AsyncClient(base_url=settings.console_url, timeout=10) as client:
        cookie = await signed_in(client, victim)
        client.cookies.clear()
        mine = page_headers(settings, cookie["value"])
        assert (await client.get("/api/incidents", headers=mine)).status_code == 200
        supervisor = bearer(token(settings, Role.SUPERVISOR))
        revoked = await client.post(
            "/api/tokens/revoke", json={"token": victim}, headers=supervisor
        )
        assert revoked.status_code == 202

        async def refused() -> bool:
            return (await client.get("/api/incidents", headers=mine)).status_code == 401

        await eventually(refused, timeout_s=5)
    url = settings.console_url.replace("http", "ws") + "/ws/console"
    assert await socket_answer(url, mine) == 4401


async def closed_with(ws: websockets.ClientConnection, timeout_s: float) -> object:
    """The close code the console ends an open socket with (frames before it are skipped)."""
    try:
        async with asyncio.timeout(timeout_s):
            while True:
                await ws.recv()
    except websockets.ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None


@pytest.mark.timeout(60)
async def test_an_open_socket_ends_when_its_session_ends_or_its_token_is_revoked(
    settings: Settings, console: Process
) -> None:
    """Signing out, or revoking the token, stops the live stream of sockets already open
    (within ``SOCKET_RECHECK_S``), not only new ones; other sockets stream on."""
    victim, bystander = token(settings, Role.CREW, "E-1"), token(settings, Role.DISPATCHER)
    base = settings.console_url.replace("http", "ws")
    async with httpx.AsyncClient(base_url=settings.console_url, timeout=10) as client:
        cookie = await signed_in(client, token(settings, Role.DISPATCHER))
        client.cookies.clear()
        mine = page_headers(settings, cookie["value"])
        page = await websockets.connect(base + "/ws/console", additional_headers=mine)
        crew = await websockets.connect(base + "/ws/crew/E-1", subprotocols=offer(victim))
        other = await websockets.connect(base + "/ws/console", subprotocols=offer(bystander))
        for ws in (page, crew, other):
            assert orjson.loads(await ws.recv())["type"] == "snapshot"
        assert (await client.post("/logout", headers=mine)).status_code == 204
        supervisor = bearer(token(settings, Role.SUPERVISOR))
        revoked = await client.post(
            "/api/tokens/revoke", json={"token": victim}, headers=supervisor
        )
        assert revoked.status_code == 202
    limit_s = SOCKET_RECHECK_S + 5
    assert await closed_with(page, limit_s) == 4401
    assert await closed_with(crew, limit_s) == 4401
    assert other.close_code is None  # still open: nothing happened to its token
    await asyncio.gather(*(ws.close() for ws in (page, crew, other)))


def offer(tok: str) -> list[websockets.Subprotocol]:
    """The ``gt.bearer`` subprotocol offer carrying ``tok`` (a script's socket)."""
    return [websockets.Subprotocol(BEARER_SUBPROTOCOL), websockets.Subprotocol(tok)]


async def test_only_roles_with_pages_get_a_session(settings: Settings, console: Process) -> None:
    async with httpx.AsyncClient(base_url=settings.console_url, timeout=10) as client:
        origin = {"Origin": settings.console_url}
        service = bearer(token(settings, Role.SERVICE))
        assert (await client.post("/api/session", headers={**service, **origin})).status_code == 403
        expired = bearer(token(settings, Role.DISPATCHER, ttl_s=-5))
        assert (await client.post("/api/session", headers={**expired, **origin})).status_code == 401
        assert (await client.post("/api/session", headers=origin)).status_code == 401


@pytest.mark.slow
async def test_behind_a_trusted_proxy_that_says_https_the_cookie_is_secure(
    settings: Settings, tmp_path: Path
) -> None:
    proxied = settings.replace(trusted_proxies="127.0.0.1/32")
    console = start_console(proxied, tmp_path)
    try:
        async with httpx.AsyncClient(base_url=proxied.console_url, timeout=10) as client:
            dispatcher = token(settings, Role.DISPATCHER)
            tls = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}
            origin = proxied.console_url.replace("http://", "https://")
            cookie = await signed_in(client, dispatcher, **tls, Origin=origin)
            assert cookie["name"] == SECURE_SESSION_COOKIE and cookie["secure"] == "true"
            assert cookie["httponly"] == "true" and cookie["samesite"] == "Strict"
            client.cookies.clear()
            value = cookie["value"]
            secure = {**tls, "Cookie": f"{SECURE_SESSION_COOKIE}={value}"}
            assert (await client.get("/api/incidents", headers=secure)).status_code == 200
            # over TLS a cookie without the prefix (one planted over plain HTTP) counts for nothing
            planted = {**tls, "Cookie": f"{SESSION_COOKIE}={value}"}
            assert (await client.get("/api/incidents", headers=planted)).status_code == 401
    finally:
        console.stop()
