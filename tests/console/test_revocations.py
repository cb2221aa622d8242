"""A revoked token stays revoked: on every replica, and after the cache restarts.

How soon another replica refuses it is measured by ``python -m bench.revocation``."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
import pytest
import redis

from access import Role
from stack.embedded import EmbeddedCache
from stack.settings import Settings
from tests.conftest import start_console
from tests.console.conftest import bearer, eventually
from tests.console.console_samples import token

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def status(base: str, tok: str) -> int:
    async with httpx.AsyncClient(base_url=base, timeout=10) as client:
        return (await client.get("/api/incidents", headers=bearer(tok))).status_code


async def refuses(base: str, tok: str) -> bool:
    return await status(base, tok) == 401


async def test_a_revocation_reaches_every_replica_and_survives_a_cache_restart(
    settings: Settings, tmp_path: Path
) -> None:
    lost_phone = token(settings, Role.CREW, "E-1")
    dispatcher = token(settings, Role.DISPATCHER)
    with EmbeddedCache(tmp_path / "cache-1") as first_cache:
        deployment = settings.replace(redis_url=first_cache.url)
        a = start_console(deployment, tmp_path / "a")
        b_settings = deployment.replace(console_port=free_port())
        b = start_console(b_settings, tmp_path / "b")
        try:
            victim = token(settings, Role.DISPATCHER)
            assert await status(b_settings.console_url, victim) == 200
            async with httpx.AsyncClient(base_url=deployment.console_url, timeout=10) as client:
                sup = bearer(token(settings, Role.SUPERVISOR))
                for body in ({"token": victim}, {"token": lost_phone}):
                    revoked = await client.post("/api/tokens/revoke", json=body, headers=sup)
                    assert revoked.status_code == 202
                refused = await client.post(
                    "/api/tokens/revoke", json={"token": victim}, headers=bearer(dispatcher)
                )
                assert refused.status_code == 403
            await eventually(
                lambda: refuses(b_settings.console_url, victim), timeout_s=15.0
            )  # replica b tails the revocations
            assert await status(deployment.console_url, victim) == 401
            assert await status(deployment.console_url, dispatcher) == 200
            # the cache loses everything while the consoles run: they refill it
            r = redis.Redis.from_url(first_cache.url)
            r.flushall()
            key = f"{deployment.namespace}:revoked-tokens"
            await eventually(lambda: r.scard(key) == 2, timeout_s=15.0)
            r.close()
        finally:
            a.stop()
            b.stop()
    with EmbeddedCache(tmp_path / "cache-2") as second_cache:  # a fresh, empty cache
        restarted = settings.replace(redis_url=second_cache.url)
        c = start_console(restarted, tmp_path / "c")
        try:
            assert await status(restarted.console_url, victim) == 401
            assert await status(restarted.console_url, dispatcher) == 200
        finally:
            c.stop()
