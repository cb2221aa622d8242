"""Fixtures for the video relay: one Valkey per session, a real uvicorn relay per test."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest
import redis.asyncio as aioredis
import uvicorn
from video_relay_kit import (
    INGEST_SECRET,
    SAMPLE_CAMERAS,
    SECRET,
    RelayHandle,
    SampleCamera,
    StartRelay,
)

from access import TokenAuthority
from stack.embedded import EmbeddedCache
from video_relay import RelayConfig, create_app
from video_relay.policy import ViewingPolicy
from video_relay.serve import listening_socket, uvicorn_config


@pytest.fixture
async def redis_client(cache: EmbeddedCache) -> AsyncIterator[aioredis.Redis]:
    """A client of the session's embedded cache (each relay gets its own namespace)."""
    client = aioredis.Redis.from_url(cache.url)
    yield client
    await client.aclose()


@pytest.fixture
async def start_relay(redis_client: aioredis.Redis) -> AsyncIterator[StartRelay]:
    handles: list[RelayHandle] = []

    async def start(
        cameras: Sequence[SampleCamera] = SAMPLE_CAMERAS,
        policy: ViewingPolicy | None = None,
        redis: aioredis.Redis | None = None,
        **overrides: Any,
    ) -> RelayHandle:
        client = redis if redis is not None else redis_client
        prefix = f"t{secrets.token_hex(4)}."
        settings: dict[str, Any] = {"ingest_secret": INGEST_SECRET, "topic_prefix": prefix}
        settings.update(overrides)
        config = RelayConfig(**settings)
        authority = TokenAuthority(SECRET)
        app = create_app(config, authority, client, cameras, policy=policy)
        sock = listening_socket("127.0.0.1", 0, config.send_buffer_bytes)
        port = sock.getsockname()[1]
        server = uvicorn.Server(uvicorn_config(app, config))
        task = asyncio.create_task(server.serve(sockets=[sock]), name=f"relay:{port}")
        for _ in range(200):
            if server.started:
                break
            await asyncio.sleep(0.01)
        assert server.started, "relay did not start"
        handle = RelayHandle(app, port, authority, client, config.namespace, server, task)
        handles.append(handle)
        return handle

    yield start
    for handle in handles:
        handle.server.should_exit = True
    await asyncio.gather(*(h.task for h in handles), return_exceptions=True)
