"""The relay as an ASGI app: ``create_app`` wires the parts and owns their background tasks."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import redis.asyncio as aioredis
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from redis.exceptions import RedisError

from access import TokenAuthority
from access.sessions import SessionStore
from video_relay.api import api_routes
from video_relay.audit import AuditLog
from video_relay.cameras import CameraLike, CameraRegistry
from video_relay.codes import http_status_for
from video_relay.config import RelayConfig
from video_relay.egress import PullEgress, pull_client
from video_relay.errors import VideoRelayError
from video_relay.hub import FeedHub
from video_relay.ingest import ingest_routes
from video_relay.metrics import RelayMetrics
from video_relay.policy import RedisViewingPolicy, ViewingPolicy
from video_relay.puller import Puller
from video_relay.relay import Relay
from video_relay.supervisor import TaskSupervisor
from video_relay.viewing import viewing_routes

__all__ = ["create_app"]


async def _janitor(relay: Relay, puller: Puller) -> None:
    """Ends grace periods (sources get "pause") and starts or stops pulls, forever."""
    while True:
        relay.hub.tick(relay.monotonic())
        await puller.reconcile()
        relay.metrics.viewers.set(relay.hub.viewer_count)
        relay.metrics.sources.set(relay.push_sources)
        await asyncio.sleep(relay.config.janitor_interval_s)


def create_app(
    config: RelayConfig,
    authority: TokenAuthority,
    redis_client: aioredis.Redis,
    cameras: Iterable[CameraLike],
    *,
    policy: ViewingPolicy | None = None,
    wall_clock: Callable[[], float] = time.time,
) -> FastAPI:
    """The relay service: registry from ``cameras``, audit and read model in ``redis_client``."""
    relay = Relay(
        config=config,
        authority=authority,
        registry=CameraRegistry(cameras, config.ingest_secret, dict(config.pull_urls)),
        hub=FeedHub(config.grace_s),
        audit=AuditLog(redis_client, config.namespace),
        policy=policy or RedisViewingPolicy(redis_client, config.namespace),
        metrics=RelayMetrics(),
        tasks=TaskSupervisor(),
        egress=PullEgress.of(config.pull_allowed_hosts, config.pull_allowed_networks).with_urls(
            url for _, url in config.pull_urls
        ),
        wall_clock=wall_clock,
        sessions=SessionStore(redis_client, config.namespace),
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        timeout = httpx.Timeout(10.0, connect=5.0)
        async with pull_client(relay.egress, timeout) as client:
            puller = Puller(relay, client)
            relay.tasks.start("janitor", lambda: _janitor(relay, puller))
            try:
                yield
            finally:
                await relay.tasks.stop_all()

    app = FastAPI(title="GoldenTime video relay", lifespan=lifespan)
    app.state.relay = relay

    @app.exception_handler(VideoRelayError)
    async def relay_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, VideoRelayError)
        return JSONResponse({"detail": str(exc)}, status_code=http_status_for(exc))

    @app.get("/healthz")
    async def healthz() -> dict[str, Any]:
        """The process is up."""
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        """The cache (audit log, read model) is reachable and the janitor runs."""
        try:
            await redis_client.ping()
            redis_ok = True
        except (RedisError, OSError):
            redis_ok = False
        janitor_ok = relay.tasks.running("janitor")
        ready = redis_ok and janitor_ok
        body = {"ready": ready, "redis": redis_ok, "janitor": janitor_ok}
        return JSONResponse(body, status_code=200 if ready else 503)

    @app.get("/metrics")
    async def metrics() -> Response:
        """Prometheus text exposition."""
        return Response(relay.metrics.render(), media_type="text/plain; version=0.0.4")

    app.include_router(ingest_routes(relay))
    app.include_router(viewing_routes(relay))
    app.include_router(api_routes(relay))
    return app
