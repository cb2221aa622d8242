"""The console service: REST API, WebSocket hub, ingest endpoints, health and metrics."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import orjson
import redis.asyncio as aioredis
from aiokafka import AIOKafkaProducer
from fastapi import Depends, FastAPI, HTTPException, WebSocket
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import generate_latest

from access import Principal, Role, TokenAuthority
from console.auth import Gate
from console.hub import Hub
from console.ingest import ingest_router
from console.metrics import ConsoleMetrics
from console.projector import Projector, frame
from console.readmodel import ACTIVE_ALERT, ReadModel
from stack.settings import Settings
from streams.topics import Topics

log = logging.getLogger("goldentime.console")
STATIC = Path(__file__).parent / "static"
PUBLIC_ALERT_STATUSES = frozenset({"approved", "sent", "all_clear", "cancelled"})
DISPATCH = (Role.DISPATCHER, Role.SUPERVISOR)


def create_app(settings: Settings) -> FastAPI:
    """The console ASGI app for one deployment."""
    topics = Topics(settings.topic_prefix)
    metrics = ConsoleMetrics()
    hub = Hub()
    redis = aioredis.from_url(settings.redis_url, socket_timeout=5, socket_connect_timeout=2)
    readmodel = ReadModel(redis, settings.namespace)
    kafka = KafkaLink(settings.kafka_bootstrap)

    async def is_revoked(token_id: str) -> bool:
        return bool(await redis.sismember(f"{settings.namespace}:revoked-tokens", token_id))

    gate = Gate(TokenAuthority(settings.auth_secret.encode()), is_revoked)

    async def on_output(base: str, value: bytes, live: bool) -> None:
        try:
            data = orjson.loads(value)
        except orjson.JSONDecodeError:
            log.error("non-JSON message on output topic %s ignored", base)
            return
        stored = True
        if base == "incidents":
            stored = await readmodel.put_incident(data, value)
        elif base == "alerts":
            stored = await readmodel.upsert(
                "alerts",
                data["id"],
                int(data.get("version", 1)),
                data["status"] in ACTIVE_ALERT,
                value,
            )
        elif base == "overlays":
            stored = await readmodel.upsert("overlays", data["incident_id"], 1, True, value)
        elif base == "assignments":
            key = f"{data['incident_id']}|{data['unit_id']}"
            stored = await readmodel.upsert(
                "assignments", key, 1, data["status"] != "cancelled", value
            )
        elif base == "deadletter":
            metrics.deadletters.inc()
        metrics.projected.labels(base).inc()
        if live and stored:
            kind = base.rstrip("s") if base != "deadletter" else "deadletter"
            hub.publish(kind, data, frame(kind, data))
            if base == "alerts" and _public(data):
                view = _public_view(data)
                hub.publish("public-alert", view, frame("alert", view))

    projector = Projector(
        settings.kafka_bootstrap,
        topics,
        ("incidents", "assignments", "overlays", "alerts", "deadletter"),
        on_output,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await kafka.start()
        task = asyncio.create_task(projector.run(), name="projector")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await kafka.stop()
            await redis.aclose()

    app = FastAPI(title="GoldenTime console", version="0.1.0", lifespan=lifespan)
    app.include_router(ingest_router(gate, kafka, topics, metrics))
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.mount("/vendor/leaflet", StaticFiles(directory=_leaflet_dir()), name="leaflet")

    dispatcher = gate.require(*DISPATCH)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        checks: dict[str, str] = {}
        try:
            await asyncio.wait_for(redis.ping(), 2.0)
            checks["cache"] = "ok"
        except Exception as exc:
            checks["cache"] = f"unreachable: {type(exc).__name__}"
        try:
            await asyncio.wait_for(kafka.producer.client.fetch_all_metadata(), 2.0)
            checks["broker"] = "ok"
        except Exception as exc:
            checks["broker"] = f"unreachable: {type(exc).__name__}"
        checks["projector"] = "caught_up" if projector.caught_up.is_set() else "catching_up"
        ok = checks["cache"] == "ok" and checks["broker"] == "ok"
        return JSONResponse(checks, status_code=200 if ok else 503)

    @app.get("/metrics")
    async def prometheus() -> Response:
        metrics.ws_clients.set(hub.client_count)
        metrics.ws_dropped.set(hub.dropped_slow)
        return PlainTextResponse(
            generate_latest(metrics.registry).decode(), media_type="text/plain; version=0.0.4"
        )

    @app.get("/api/incidents")
    async def list_incidents(
        all: bool = False, who: Principal = Depends(dispatcher)
    ) -> list[dict[str, Any]]:
        items = await (readmodel.all("incidents") if all else readmodel.active("incidents"))
        return sorted(items, key=lambda i: (i["priority"], i["deadline_at"]))

    @app.get("/api/incidents/{incident_id}")
    async def get_incident(
        incident_id: str, who: Principal = Depends(dispatcher)
    ) -> dict[str, Any]:
        incident = await readmodel.get("incidents", incident_id)
        if incident is None:
            raise HTTPException(404, f"no incident {incident_id!r}")
        return incident

    @app.get("/", include_in_schema=False)
    async def console_page() -> FileResponse:
        return FileResponse(STATIC / "console.html")

    @app.websocket("/ws/console")
    async def ws_console(websocket: WebSocket) -> None:
        if await gate.admit(websocket, *DISPATCH) is None:
            return
        snapshot = {
            "incidents": await readmodel.active("incidents"),
            "alerts": await readmodel.active("alerts"),
            "assignments": await readmodel.active("assignments"),
        }
        await hub.serve(
            websocket, lambda kind, data: kind != "public-alert", [frame("snapshot", snapshot)]
        )

    @app.websocket("/ws/public")
    async def ws_public(websocket: WebSocket) -> None:
        await websocket.accept()
        alerts = [a for a in await readmodel.active("alerts") if _public(a)]
        await hub.serve(
            websocket,
            lambda kind, data: kind == "public-alert",
            [frame("snapshot", {"alerts": [_public_view(a) for a in alerts]})],
        )

    @app.websocket("/ws/crew/{unit_id}")
    async def ws_crew(websocket: WebSocket, unit_id: str) -> None:
        who = await gate.admit(websocket, Role.CREW, *DISPATCH)
        if who is None:
            return
        if who.role is Role.CREW and who.unit_id != unit_id:
            await websocket.close(4403, "a crew sees only its own unit")
            return
        mine: set[str] = set()
        for a in await readmodel.active("assignments"):
            if a["unit_id"] == unit_id:
                mine.add(a["incident_id"])

        def accepts(kind: str, data: dict[str, Any]) -> bool:
            if kind == "assignment" and data.get("unit_id") == unit_id:
                if data.get("status") == "cancelled":
                    mine.discard(str(data["incident_id"]))
                else:
                    mine.add(str(data["incident_id"]))
                return True
            if kind == "incident":
                return data.get("id") in mine
            return kind == "overlay" and data.get("incident_id") in mine

        incidents = [await readmodel.get("incidents", i) for i in sorted(mine)]
        await hub.serve(websocket, accepts, [frame("snapshot", {"incidents": incidents})])

    app.state.hub = hub
    app.state.projector = projector
    app.state.readmodel = readmodel
    return app


def _public(alert: dict[str, Any]) -> bool:
    return alert.get("status") in PUBLIC_ALERT_STATUSES and not alert.get("exercise", False)


def _public_view(alert: dict[str, Any]) -> dict[str, Any]:
    keep = (
        "id",
        "status",
        "severity",
        "area",
        "districts",
        "headline",
        "message",
        "issued_at",
        "tier",
        "version",
    )
    return {k: alert[k] for k in keep if k in alert}


def _leaflet_dir() -> str:
    import xstatic.pkg.leaflet as leaflet

    return str(leaflet.BASE_DIR)


class KafkaLink:
    """The console's producer, created inside the running loop by the lifespan."""

    def __init__(self, bootstrap: str) -> None:
        self._bootstrap = bootstrap
        self._producer: AIOKafkaProducer | None = None

    @property
    def producer(self) -> AIOKafkaProducer:
        """The started producer (only valid inside the lifespan)."""
        if self._producer is None:
            raise RuntimeError("console not started")
        return self._producer

    async def start(self, attempts: int = 30) -> None:
        """Start the producer, waiting for a broker that is still starting."""
        for attempt in range(attempts):
            producer = AIOKafkaProducer(
                bootstrap_servers=self._bootstrap,
                acks="all",
                linger_ms=2,
                request_timeout_ms=5000,
                enable_idempotence=False,
            )
            try:
                await producer.start()
                self._producer = producer
                return
            except Exception:
                await producer.stop()
                if attempt == attempts - 1:
                    raise
                await asyncio.sleep(1.0)

    async def stop(self) -> None:
        """Stop the producer, flushing what it holds."""
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    async def send(self, topic: str, value: bytes, key: bytes) -> None:
        """Send one record and wait for the broker's acknowledgement."""
        await self.producer.send_and_wait(topic, value, key=key)
