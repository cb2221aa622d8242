"""Signing in without a token in any URL: one-time links and the token check."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from access import Role
from console.login import mint_login_link
from stack.settings import Settings
from tests.conftest import Process
from tests.console.conftest import bearer
from tests.console.console_samples import token

pytestmark = pytest.mark.integration


async def test_a_one_time_link_is_exchanged_once(settings: Settings, console: Process) -> None:
    dispatcher = token(settings, Role.DISPATCHER)
    code = mint_login_link(settings.redis_url, settings.namespace, dispatcher)
    async with httpx.AsyncClient(base_url=settings.console_url, timeout=10) as client:
        first = await client.post("/api/login-links/exchange", json={"code": code})
        assert first.status_code == 200 and first.json() == {"token": dispatcher}
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


async def test_the_session_check_names_the_token_holder(
    settings: Settings, console: Process
) -> None:
    crew = token(settings, Role.CREW, "A-1")
    async with httpx.AsyncClient(base_url=settings.console_url, timeout=10) as client:
        who = (await client.get("/api/session/check", headers=bearer(crew))).json()
        assert who["role"] == "crew" and who["unit_id"] == "A-1"
        assert (await client.get("/api/session/check")).status_code == 401
