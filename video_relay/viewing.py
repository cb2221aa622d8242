"""Frames out: ``WS /ws/video/{camera_id}`` for authorised viewers, each at its own pace.

Who: ``Authorization: Bearer``, the ``gt.bearer`` subprotocol, or a console page's
session cookie from a page of this host. Query parameters: ``reason`` and/or
``incident_id`` (one is required), ``max_fps`` and ``max_bytes_per_s`` (lowered to the
relay's caps). After the checks the relay sends one text message
``{"type": "session", "session_id": …, "camera": {…}, "max_fps": …, "max_bytes_per_s": …}``
and then one binary message per JPEG frame: always the newest frame when the viewer is
ready for one. Refusals are close codes listed in :mod:`video_relay.codes`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from redis.exceptions import RedisError

from access import BEARER_SUBPROTOCOL, Principal, Role, subprotocol_token
from video_relay.audit import ViewingRefusal, ViewingSession, rfc3339
from video_relay.codes import close_code_for
from video_relay.errors import StoreUnavailable, VideoRelayError, ViewerLimit
from video_relay.feed import CameraFeed, ViewerSlot
from video_relay.pacing import Pacer
from video_relay.policy import MAX_REASON_CHARS, ViewingGrant, authorize_viewing
from video_relay.relay import Relay

__all__ = ["viewing_routes"]

log = logging.getLogger(__name__)

# What a send on a connection the peer dropped raises (uvicorn's ClientDisconnected is an
# OSError; a send after close is a RuntimeError).
_GONE = (WebSocketDisconnect, OSError, RuntimeError)

CLOSE_NORMAL = 1000
CLOSE_LOST = 1006


def _cap(requested: str | None, ceiling: float) -> float:
    """The viewer's requested cap, bounded by the relay's; the relay's when absent or bad."""
    try:
        value = float(requested) if requested else ceiling
    except ValueError:
        return ceiling
    return min(value, ceiling) if value > 0 else ceiling


def _close_reason(text: str) -> str:
    """A close reason that fits the 123-byte limit of the protocol."""
    return text.encode("utf-8")[:120].decode("utf-8", "ignore")


async def _decide(
    relay: Relay, principal: Principal, camera_id: str, ws: WebSocket
) -> ViewingGrant:
    relay.registry.get(camera_id)
    assigned, cameras = None, frozenset[str]()
    if principal.role is Role.CREW and principal.unit_id:
        assigned = await relay.policy.assigned_incident(principal.unit_id)
        if assigned is not None:
            cameras = await relay.policy.incident_cameras(assigned)
    query = ws.query_params
    return authorize_viewing(
        principal, camera_id, query.get("reason"), query.get("incident_id"), assigned, cameras
    )


def _peer(ws: WebSocket) -> str | None:
    return f"{ws.client.host}:{ws.client.port}" if ws.client else None


def _refusal(
    relay: Relay,
    ws: WebSocket,
    camera_id: str,
    code: int,
    error: VideoRelayError,
    principal: Principal | None,
) -> ViewingRefusal:
    query = ws.query_params
    return ViewingRefusal(
        camera_id=camera_id[:128],
        code=code,
        detail=str(error)[:300],
        at=rfc3339(relay.wall_clock()),
        subject=principal.subject if principal else None,
        role=principal.role.value if principal else None,
        unit_id=principal.unit_id if principal else None,
        token_id=principal.token_id if principal else None,
        incident_id=(query.get("incident_id") or "")[:128] or None,
        reason=(query.get("reason") or "")[:MAX_REASON_CHARS] or None,
        peer=_peer(ws),
    )


class _Delivery:
    """What one session delivered."""

    def __init__(self) -> None:
        self.frames = 0
        self.bytes = 0


async def _send_frames(
    relay: Relay, ws: WebSocket, slot: ViewerSlot, pacer: Pacer, delivery: _Delivery
) -> int:
    clock, metrics = relay.monotonic, relay.metrics
    try:
        while True:
            frame = await slot.next_frame()
            delay = pacer.delay_s(clock())
            if delay > 0:
                await asyncio.sleep(delay)
                frame = slot.take_newer(frame)
            before = clock()
            await ws.send_bytes(frame.data)
            pacer.sent(clock(), len(frame.data))
            delivery.frames += 1
            delivery.bytes += len(frame.data)
            metrics.frames_out.inc()
            metrics.bytes_out.inc(len(frame.data))
            metrics.frame_age.observe(before - frame.received_at_s)
    except _GONE as exc:  # the viewer went away mid-send
        log.debug("viewer send ended: %r", exc)
        return CLOSE_LOST


async def _report_source(relay: Relay, ws: WebSocket, feed: CameraFeed) -> int:
    """Tells the viewer when frames stop (``no_signal``) after flowing, and come back (``live``)."""
    stale_s = relay.config.stale_after_s
    seen_live = announced_no_signal = False
    while True:
        await asyncio.sleep(min(0.5, stale_s / 2))
        latest = feed.latest
        live = latest is not None and relay.monotonic() - latest.received_at_s <= stale_s
        if live and announced_no_signal:
            await ws.send_json({"type": "source", "state": "live"})
            announced_no_signal = False
        elif not live and seen_live and not announced_no_signal:
            await ws.send_json({"type": "source", "state": "no_signal"})
            announced_no_signal = True
        seen_live = seen_live or live


async def _watch_client(ws: WebSocket) -> int:
    while True:
        message = await ws.receive()
        if message["type"] == "websocket.disconnect":
            return int(message.get("code") or CLOSE_NORMAL)


async def _guard(relay: Relay, principal: Principal, camera_id: str, ws: WebSocket) -> int:
    """Ends the session when its token expires or is revoked, the console session a page's
    cookie named ends (signed out, or past its 12 h), or a crew loses its scene."""
    while True:
        remaining_s = principal.expires_at - relay.wall_clock()
        if remaining_s <= 0:
            return 4401
        await asyncio.sleep(min(remaining_s, relay.config.recheck_s))
        if camera_id not in relay.registry:
            return 4404  # a run-time camera left
        try:
            current = await relay.principal(ws, cookie=True)  # token, revocation, session
            if current.token_id != principal.token_id:
                return 4401
            if principal.role is Role.CREW:
                await _decide(relay, principal, camera_id, ws)
        except (StoreUnavailable, RedisError, OSError):
            continue  # keep a running session through a short read-model outage
        except VideoRelayError as exc:
            return close_code_for(exc)


def viewing_routes(relay: Relay) -> APIRouter:
    """The viewer WebSocket route."""
    router = APIRouter()
    config = relay.config

    @router.websocket("/ws/video/{camera_id}")
    async def watch(ws: WebSocket, camera_id: str) -> None:
        offered = subprotocol_token(ws.scope.get("subprotocols"))
        await ws.accept(subprotocol=BEARER_SUBPROTOCOL if offered else None)
        principal: Principal | None = None
        slot: ViewerSlot | None = None
        feed = relay.hub.get(camera_id)
        try:
            principal = await relay.principal(ws, cookie=True)
            grant = await _decide(relay, principal, camera_id, ws)
            camera = relay.registry.get(camera_id).to_json()
            feed = relay.hub.feed(camera_id)
            if feed.viewer_count >= config.max_viewers_per_camera:
                raise ViewerLimit(f"camera {camera_id!r} has {feed.viewer_count} viewers")
            # Attach before the audit write so that concurrent arrivals count against the limit.
            slot = feed.attach(relay.monotonic(), config.stale_after_s)
            pacer = Pacer(
                _cap(ws.query_params.get("max_fps"), config.max_fps),
                _cap(ws.query_params.get("max_bytes_per_s"), config.max_bandwidth_bps),
            )
            session = ViewingSession(
                session_id=secrets.token_hex(8),
                camera_id=camera_id,
                subject=principal.subject,
                role=principal.role.value,
                unit_id=principal.unit_id,
                token_id=principal.token_id,
                incident_id=grant.incident_id,
                reason=grant.reason,
                peer=_peer(ws),
                started_at=rfc3339(relay.wall_clock()),
            )
            await relay.audit.started(session)
        except VideoRelayError as exc:
            if slot is not None and feed is not None:
                feed.detach(slot, relay.monotonic())
            code = close_code_for(exc)
            relay.metrics.refusals.labels(str(code)).inc()
            refusal = _refusal(relay, ws, camera_id, code, exc, principal)
            with contextlib.suppress(Exception):  # the client may be gone already
                await ws.close(code, reason=_close_reason(str(exc)))
            await relay.audit.refused(refusal)
            return
        relay.metrics.viewers.inc()
        delivery = _Delivery()
        tasks: list[asyncio.Task[int]] = []
        code = CLOSE_LOST
        try:
            await ws.send_json(
                {
                    "type": "session",
                    "session_id": session.session_id,
                    "camera": camera,
                    "max_fps": pacer.max_fps,
                    "max_bytes_per_s": pacer.max_bps,
                }
            )
            tasks = [
                asyncio.create_task(_send_frames(relay, ws, slot, pacer, delivery), name="view-tx"),
                asyncio.create_task(_watch_client(ws), name="view-rx"),
                asyncio.create_task(_guard(relay, principal, camera_id, ws), name="view-guard"),
                asyncio.create_task(_report_source(relay, ws, feed), name="view-source"),
            ]
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            code = next(iter(done)).result()
        except _GONE as exc:
            log.debug("viewer session ended: %r", exc)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            feed.detach(slot, relay.monotonic())
            relay.metrics.viewers.dec()
            relay.metrics.frames_dropped.inc(slot.dropped)
            relay.metrics.sessions.labels(str(code)).inc()
            ended = session.ended(
                rfc3339(relay.wall_clock()), code, delivery.frames, slot.dropped, delivery.bytes
            )
            try:
                await relay.audit.ended(ended)
            except StoreUnavailable:
                log.error("could not record the end of viewing session %s", session.session_id)
        if code >= 4000:
            with contextlib.suppress(Exception):
                await ws.close(code)

    return router
