"""Running the relay as a process: one uvicorn server on a socket tuned for video."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from collections.abc import Iterable

import redis.asyncio as aioredis
import uvicorn

from access import TokenAuthority
from video_relay.app import create_app
from video_relay.cameras import CameraLike
from video_relay.config import RelayConfig
from video_relay.serve import listening_socket, uvicorn_config

__all__ = ["ingest_secret_for", "run", "serve"]


def ingest_secret_for(auth_secret: str) -> bytes:
    """The ingest secret derived from the deployment's token secret (no extra setting)."""
    return hmac.new(auth_secret.encode(), b"gt-video-ingest-v1", hashlib.sha256).digest()


async def serve(
    config: RelayConfig,
    authority: TokenAuthority,
    redis_url: str,
    cameras: Iterable[CameraLike],
    *,
    host: str = "127.0.0.1",
    port: int = 8090,
    log_level: str = "warning",
) -> None:
    """Serve the relay until the process is told to stop (SIGINT/SIGTERM)."""
    # A burst of viewers arriving together waits for a pooled connection instead of failing.
    pool = aioredis.BlockingConnectionPool.from_url(redis_url, max_connections=32, timeout=5)
    client = aioredis.Redis(connection_pool=pool)
    try:
        app = create_app(config, authority, client, cameras)
        sock = listening_socket(host, port, config.send_buffer_bytes)
        server = uvicorn.Server(uvicorn_config(app, config, log_level=log_level))
        await server.serve(sockets=[sock])
    finally:
        await client.aclose()


def run(
    config: RelayConfig,
    authority: TokenAuthority,
    redis_url: str,
    cameras: Iterable[CameraLike],
    *,
    host: str = "127.0.0.1",
    port: int = 8090,
    log_level: str = "warning",
) -> None:
    """Blocking form of :func:`serve` for an entry point."""
    asyncio.run(
        serve(config, authority, redis_url, cameras, host=host, port=port, log_level=log_level)
    )
