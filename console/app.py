"""The console service: composes the REST API, WebSockets, pages, health and metrics."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import redis.asyncio as aioredis
from fastapi import FastAPI, Request
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import generate_latest

from access import authority_for
from access.sessions import SessionStore
from console.actions import actions_router
from console.audit import AuditLog
from console.auth import Gate
from console.context import DISPATCH, Context
from console.destinations import destinations_router
from console.headers import SecurityHeaders
from console.hub import Hub
from console.ingest import ingest_router
from console.kafka_link import KafkaLink
from console.layers import LayerCache
from console.login import login_router
from console.metrics import ConsoleMetrics
from console.outputs import PROJECTED_TOPICS, OutputProjection
from console.pages import STATIC, pages_router
from console.projector import Projector
from console.proxies import TrustedProxies
from console.queries import queries_router
from console.ratelimit import PublicRateLimit
from console.readmodel import ReadModel
from console.revocations import Revocations, revocations_router
from console.silences import silences_router
from console.sockets import sockets_router
from console.sso import sso_router
from console.structures import structures_router
from stack.settings import Settings
from streams.topics import Topics

__all__ = ["DISPATCH", "KafkaLink", "create_app"]

log = logging.getLogger("goldentime.console")
REDIS_POOL_SIZE = 128
GC_GEN0_THRESHOLD = 20_000
REDIS_POOL_WAIT_S = 30.0


async def cache_unreachable(request: Request, exc: Exception) -> JSONResponse:
    """503 (retry) when the shared cache cannot answer: sessions and the read model live
    there, and a client must be told to retry, not handed a server error."""
    log.warning("cache unreachable on %s %s: %s", request.method, request.url.path, exc)
    return JSONResponse(
        {"detail": "the console's cache is unreachable; try again shortly"},
        status_code=503,
        headers={"Retry-After": "2"},
    )


def create_app(settings: Settings) -> FastAPI:
    """The console ASGI app for one deployment."""
    topics = Topics(settings.topic_prefix)
    metrics = ConsoleMetrics()
    history = asyncio.Event()  # set by the projector once it has read the topics' history
    hub = Hub(max_bytes=settings.ws_client_buffer_mb * 1024 * 1024, history=history)
    pool = aioredis.BlockingConnectionPool.from_url(
        settings.redis_url,
        max_connections=REDIS_POOL_SIZE,
        timeout=REDIS_POOL_WAIT_S,
        socket_timeout=5,
        socket_connect_timeout=2,
    )  # a burst of sockets connecting waits for a connection instead of failing
    redis = aioredis.Redis(connection_pool=pool)
    readmodel = ReadModel(redis, settings.namespace)
    kafka = KafkaLink(settings.kafka_bootstrap)

    revocations = Revocations(
        settings.kafka_bootstrap, topics.token_revocations, redis, settings.namespace
    )

    async def is_revoked(token_id: str) -> bool:
        if await revocations.is_revoked(token_id):
            return True
        return bool(await redis.sismember(f"{settings.namespace}:revoked-tokens", token_id))

    gate = Gate(authority_for(settings), is_revoked, SessionStore(redis, settings.namespace))
    ctx = Context(
        gate=gate,
        readmodel=readmodel,
        hub=hub,
        kafka=kafka,
        topics=topics,
        audit=AuditLog(redis, settings.namespace),
        layers=LayerCache(settings.data_dir),
        metrics=metrics,
        redis=redis,
        namespace=settings.namespace,
        video_port=settings.video_port,
    )
    projector = Projector(
        settings.kafka_bootstrap,
        topics,
        PROJECTED_TOPICS,
        OutputProjection(readmodel, hub, metrics),
        caught_up=history,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await kafka.start()
        await revocations.ensure_topic(settings.replication_factor)
        revoking = asyncio.create_task(revocations.run(), name="revocations")
        gc.freeze()  # start-up objects (city, app) leave the collector: shorter GC pauses
        gc.set_threshold(GC_GEN0_THRESHOLD, 20, 50)  # fewer collections under fan-out load
        task = asyncio.create_task(projector.run(), name="projector")
        warm = asyncio.create_task(ctx.layers.get("roads"), name="warm-layers")
        try:
            yield
        finally:
            for t in (task, warm, revoking):
                t.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await t
            await kafka.stop()
            await redis.aclose()
            await pool.aclose()

    app = FastAPI(title="GoldenTime console", version="0.2.0", lifespan=lifespan)
    app.add_exception_handler(aioredis.RedisError, cache_unreachable)
    app.add_middleware(GZipMiddleware, minimum_size=2048)
    app.add_middleware(PublicRateLimit)
    app.add_middleware(  # outside the rate limit: it keys on the real client
        TrustedProxies,
        networks=[n for n in settings.trusted_proxies.split(",") if n.strip()],
        header=settings.proxy_header,
    )
    app.add_middleware(SecurityHeaders, video_port=settings.video_port)  # outermost
    app.include_router(ingest_router(gate, kafka, topics, metrics))
    app.include_router(actions_router(ctx))
    app.include_router(silences_router(ctx))
    app.include_router(destinations_router(ctx))
    app.include_router(queries_router(ctx))
    app.include_router(structures_router(ctx))
    app.include_router(sockets_router(ctx))
    app.include_router(revocations_router(ctx, revocations))
    app.include_router(login_router(ctx))
    app.include_router(sso_router(ctx, settings))
    app.include_router(pages_router())
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.mount("/vendor/leaflet", StaticFiles(directory=_leaflet_dir()), name="leaflet")

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        checks: dict[str, str] = {}
        try:
            await asyncio.wait_for(redis.ping(), 2.0)
            checks["cache"] = "ok"
        except Exception as exc:  # noqa: BLE001 - readiness reports any failure
            checks["cache"] = f"unreachable: {type(exc).__name__}"
        try:
            await asyncio.wait_for(kafka.producer.client.fetch_all_metadata(), 2.0)
            checks["broker"] = "ok"
        except Exception as exc:  # noqa: BLE001 - readiness reports any failure
            checks["broker"] = f"unreachable: {type(exc).__name__}"
        checks["projector"] = "caught_up" if projector.caught_up.is_set() else "catching_up"
        # A replica still replaying the log would show operators a partial picture and
        # treat what is written meanwhile as history: keep it out of rotation until then.
        ok = checks["cache"] == "ok" and checks["broker"] == "ok"
        checks["revocations"] = "loaded" if revocations.ready.is_set() else "loading"
        ok = ok and projector.caught_up.is_set() and revocations.ready.is_set()
        return JSONResponse(checks, status_code=200 if ok else 503)

    @app.get("/metrics")
    async def prometheus() -> Response:
        metrics.ws_clients.set(hub.client_count)
        metrics.ws_dropped.set(hub.dropped_slow)
        return PlainTextResponse(
            generate_latest(metrics.registry).decode(), media_type="text/plain; version=0.0.4"
        )

    app.state.hub = hub
    app.state.projector = projector
    app.state.readmodel = readmodel
    app.state.context = ctx
    app.state.revocations = revocations
    return app


def _leaflet_dir() -> str:
    import xstatic.pkg.leaflet as leaflet

    return str(leaflet.BASE_DIR)
