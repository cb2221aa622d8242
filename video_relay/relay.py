"""The parts of one relay process, built once by the app factory and shared by its routes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.requests import HTTPConnection

from access import Principal, TokenAuthority, TokenError, subprotocol_token
from access.origin import is_same_host
from access.sessions import SessionStore, session_id_of
from video_relay.audit import AuditLog
from video_relay.cameras import CameraRegistry
from video_relay.config import RelayConfig
from video_relay.egress import PullEgress
from video_relay.errors import Forbidden, Unauthenticated
from video_relay.hub import FeedHub
from video_relay.metrics import RelayMetrics
from video_relay.policy import ViewingPolicy
from video_relay.supervisor import TaskSupervisor

__all__ = ["Relay", "presented_token", "session_cookie_id"]


def presented_token(conn: HTTPConnection) -> str | None:
    """The token from ``Authorization: Bearer …`` or a socket's ``gt.bearer`` subprotocol
    (never from a URL: logs, history, Referer)."""
    offered = subprotocol_token(conn.scope.get("subprotocols"))
    if offered:
        return offered
    header = conn.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def session_cookie_id(conn: HTTPConnection) -> str | None:
    """The console session a page's socket carries in its cookie (the ``__Host-`` one when
    present; the plain one only on a plain connection, which may be a TLS proxy's)."""
    found = session_id_of(conn.cookies, secure=True)
    if found is None and conn.scope.get("scheme") not in ("https", "wss"):
        found = session_id_of(conn.cookies, secure=False)
    return found


@dataclass
class Relay:
    """Registry, feeds, audit, policy, metrics and pull egress of one relay, plus its clocks."""

    config: RelayConfig
    authority: TokenAuthority
    registry: CameraRegistry
    hub: FeedHub
    audit: AuditLog
    policy: ViewingPolicy
    metrics: RelayMetrics
    tasks: TaskSupervisor
    egress: PullEgress = field(default_factory=PullEgress)
    sessions: SessionStore | None = None
    wall_clock: Callable[[], float] = time.time
    monotonic: Callable[[], float] = time.monotonic
    _sources: dict[str, asyncio.Event] = field(default_factory=dict)

    async def principal(self, conn: HTTPConnection, *, cookie: bool = False) -> Principal:
        """The verified, unrevoked holder of the presented token, or raise Unauthenticated.

        With ``cookie``, a console page's session cookie counts too, from a page of this
        host only: another site's page would ride on the cookie (cross-site WebSocket
        hijacking)."""
        token = presented_token(conn)
        session_id = session_cookie_id(conn) if cookie and token is None else None
        if session_id is not None and self.sessions is not None:
            if not is_same_host(conn.headers.get("origin"), conn.headers.get("host", "")):
                raise Forbidden("a session's socket must come from this host's pages")
            token = await self.sessions.token(session_id)
        try:
            principal = await self.authority.averify(token)
        except TokenError as exc:
            raise Unauthenticated(str(exc)) from exc
        if await self.policy.is_revoked(principal.token_id):
            raise Unauthenticated("token revoked")
        return principal

    def claim_source(self, camera_id: str) -> asyncio.Event:
        """Make the caller the camera's push source; the event is set when it is superseded."""
        previous = self._sources.get(camera_id)
        if previous is not None:
            previous.set()
        mine = self._sources[camera_id] = asyncio.Event()
        return mine

    def release_source(self, camera_id: str, claim: asyncio.Event) -> None:
        """Give up the camera's push source (no-op when already superseded)."""
        if self._sources.get(camera_id) is claim:
            del self._sources[camera_id]

    @property
    def push_sources(self) -> int:
        """Push sources connected now."""
        return len(self._sources)
