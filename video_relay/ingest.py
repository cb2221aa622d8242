"""Frames in: pushed over WebSocket or HTTP POST, each source proving itself with its token.

WebSocket ``/ws/ingest/{camera_id}``: the source sends one JPEG per binary message and
may send ``{"type": "position", "lon": …, "lat": …, "direction_deg": …}`` as text when it
moves. The relay sends ``{"type": "hello", …, "state": "pause"|"resume"}`` at once, then
``{"type": "pause"}`` when nobody watches any more (after the grace period) and
``{"type": "resume"}`` when someone does: a source should stop encoding while paused;
frames sent anyway are dropped. HTTP ``POST /api/video/ingest/{camera_id}`` takes one
JPEG body and answers ``{"accepted": bool, "state": "pause"|"resume"}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from fastapi import APIRouter, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import JSONResponse

from video_relay.codes import CLOSE_SUPERSEDED, close_code_for, http_status_for
from video_relay.errors import BadFrame, RegistrationError, VideoRelayError
from video_relay.feed import CameraFeed
from video_relay.jpeg import check_jpeg
from video_relay.relay import Relay, presented_token

__all__ = ["ingest_routes"]

log = logging.getLogger(__name__)

# What a send on a connection the peer dropped raises (uvicorn's ClientDisconnected is an
# OSError; a send after close is a RuntimeError).
_GONE = (WebSocketDisconnect, OSError, RuntimeError)


def _state(feed: CameraFeed) -> str:
    return "resume" if feed.wanted else "pause"


def _take_frame(relay: Relay, feed: CameraFeed, data: bytes) -> bool:
    """Check and publish one frame; True when a viewer may get it."""
    try:
        check_jpeg(data, relay.config.max_frame_bytes)
    except BadFrame:
        relay.metrics.frames_in.labels("rejected").inc()
        raise
    accepted = feed.publish(data, relay.monotonic()) is not None
    relay.metrics.frames_in.labels("accepted" if accepted else "paused").inc()
    return accepted


def _apply_text(relay: Relay, camera_id: str, text: str) -> None:
    """Handle a source's text message (a position update); ignore what is not understood."""
    try:
        message: Any = json.loads(text)
    except ValueError:
        return
    if isinstance(message, dict) and message.get("type") == "position":
        with contextlib.suppress(RegistrationError, TypeError, ValueError):
            direction = message.get("direction_deg")
            relay.registry.move(
                camera_id,
                float(message["lon"]),
                float(message["lat"]),
                None if direction is None else float(direction),
            )


async def _receive_frames(relay: Relay, ws: WebSocket, camera_id: str, feed: CameraFeed) -> int:
    while True:
        message = await ws.receive()
        if message["type"] == "websocket.disconnect":
            return 1000
        data = message.get("bytes")
        if data is not None:
            try:
                _take_frame(relay, feed, data)
            except BadFrame as exc:
                if exc.too_large:
                    return close_code_for(exc)
                await ws.send_json({"type": "error", "detail": str(exc)})
        elif message.get("text") is not None:
            _apply_text(relay, camera_id, message["text"])


async def _send_control(ws: WebSocket, feed: CameraFeed, superseded: asyncio.Event) -> int:
    sent = _state(feed)
    while True:
        changed = feed.demand_changed()
        if _state(feed) != sent:
            sent = _state(feed)
            await ws.send_json({"type": sent})
        waiters = [asyncio.ensure_future(changed.wait()), asyncio.ensure_future(superseded.wait())]
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
        if superseded.is_set():
            return CLOSE_SUPERSEDED


def ingest_routes(relay: Relay) -> APIRouter:
    """Routes through which sources push frames."""
    router = APIRouter()

    @router.websocket("/ws/ingest/{camera_id}")
    async def ingest_ws(ws: WebSocket, camera_id: str) -> None:
        await ws.accept()
        try:
            relay.registry.verify_ingest(camera_id, presented_token(ws))
        except VideoRelayError as exc:
            code = close_code_for(exc)
            relay.metrics.refusals.labels(str(code)).inc()
            await ws.close(code, reason=str(exc)[:100])
            return
        feed = relay.hub.feed(camera_id)
        claim = relay.claim_source(camera_id)
        relay.metrics.sources.inc()
        tasks: list[asyncio.Task[int]] = []
        code = 1000
        try:
            await ws.send_json(
                {
                    "type": "hello",
                    "camera_id": camera_id,
                    "state": _state(feed),
                    "max_frame_bytes": relay.config.max_frame_bytes,
                }
            )
            tasks = [
                asyncio.create_task(_receive_frames(relay, ws, camera_id, feed), name="ingest-rx"),
                asyncio.create_task(_send_control(ws, feed, claim), name="ingest-control"),
            ]
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            code = next(iter(done)).result()
        except _GONE as exc:  # the connection broke while sending
            log.debug("ingest connection of %s ended: %r", camera_id, exc)
            code = 1006
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            relay.release_source(camera_id, claim)
            relay.metrics.sources.dec()
        if code not in (1000, 1006):
            with contextlib.suppress(Exception):
                await ws.close(code)

    @router.post("/api/video/ingest/{camera_id}")
    async def ingest_http(request: Request, camera_id: str) -> JSONResponse:
        """Take one JPEG frame pushed over HTTP."""
        limit = relay.config.max_frame_bytes
        try:
            relay.registry.verify_ingest(camera_id, presented_token(request))
            declared = request.headers.get("content-length")
            if declared is not None and declared.isdigit() and int(declared) > limit:
                raise BadFrame(f"frame of {declared} bytes exceeds {limit}", too_large=True)
            body = bytearray()
            async for chunk in request.stream():
                body += chunk
                if len(body) > limit:
                    raise BadFrame(f"frame exceeds {limit} bytes", too_large=True)
            feed = relay.hub.feed(camera_id)
            accepted = _take_frame(relay, feed, bytes(body))
        except VideoRelayError as exc:
            status = http_status_for(exc)
            return JSONResponse({"detail": str(exc)}, status_code=status)
        return JSONResponse({"accepted": accepted, "state": _state(feed)})

    return router
