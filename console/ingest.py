"""HTTP ingest for senders that do not speak Kafka: validate, produce, answer 202 or 422/503."""

from __future__ import annotations

import asyncio
import time
from typing import Any, Protocol

from aiokafka.errors import KafkaError
from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import JSONResponse

from access import Principal, Role
from console.auth import Gate
from console.metrics import ConsoleMetrics
from streams.contract import (
    INPUT_MODELS,
    Call,
    CctvDetection,
    ContractError,
    SensorAlarm,
    UnitStatus,
    decode,
    encode,
)
from streams.topics import Topics

MAX_BODY_BYTES = 256 * 1024


class Sender(Protocol):
    """Sends one record and waits for the broker's acknowledgement."""

    async def send(self, topic: str, value: bytes, key: bytes) -> None: ...


SEND_TIMEOUT_S = 5.0


def _key(model: Any) -> str:
    if isinstance(model, Call):
        return model.id
    if isinstance(model, CctvDetection):
        return model.camera_id
    if isinstance(model, SensorAlarm):
        return model.sensor_id
    assert isinstance(model, UnitStatus)
    return model.unit_id


def ingest_router(gate: Gate, kafka: Sender, topics: Topics, metrics: ConsoleMetrics) -> APIRouter:
    """Routes ``POST /api/<input topic>`` for each input topic of the contract."""
    router = APIRouter()
    senders = gate.require(Role.SERVICE, Role.DISPATCHER, Role.SUPERVISOR, Role.CREW)

    def route(base: str) -> None:
        model = INPUT_MODELS[base]

        async def ingest(request: Request, who: Principal = Depends(senders)) -> JSONResponse:
            started = time.perf_counter()
            body = await request.body()
            if len(body) > MAX_BODY_BYTES:
                metrics.ingested.labels(base, "rejected").inc()
                raise HTTPException(
                    status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, f"body over {MAX_BODY_BYTES} bytes"
                )
            try:
                event = decode(model, body)
            except ContractError as exc:
                metrics.ingested.labels(base, "rejected").inc()
                raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, exc.reason) from None
            if who.role is Role.CREW and (base != "unit-status" or _key(event) != who.unit_id):
                raise HTTPException(
                    status.HTTP_403_FORBIDDEN, "a crew may only report its own unit's status"
                )
            try:
                await asyncio.wait_for(
                    kafka.send(topics.name(base), encode(event), _key(event).encode()),
                    SEND_TIMEOUT_S,
                )
            except (KafkaError, TimeoutError, OSError) as exc:
                metrics.ingested.labels(base, "unavailable").inc()
                raise HTTPException(
                    status.HTTP_503_SERVICE_UNAVAILABLE,
                    f"broker unavailable, the event was NOT accepted; retry ({type(exc).__name__})",
                    headers={"Retry-After": "2"},
                ) from None
            metrics.ingested.labels(base, "accepted").inc()
            metrics.ingest_seconds.labels(base).observe(time.perf_counter() - started)
            return JSONResponse(
                {"id": getattr(event, "id", None), "accepted": True},
                status_code=status.HTTP_202_ACCEPTED,
            )

        router.add_api_route(
            f"/api/{base}",
            ingest,
            methods=["POST"],
            status_code=202,
            summary=f"Submit one `{base}` event (same JSON as the topic)",
        )

    for base in INPUT_MODELS:
        route(base)
    return router
