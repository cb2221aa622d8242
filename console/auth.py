"""Who is asking: a bearer token (scripts) or the session cookie (pages), on every route
and socket. A token is never read from a URL (logs, history, Referer)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import redis.asyncio as aioredis
from fastapi import HTTPException, Request, WebSocket, status
from starlette.requests import HTTPConnection

from access import Principal, Role, TokenAuthority, TokenError
from access.bearer import BEARER_SUBPROTOCOL, subprotocol_token
from access.origin import own_origin, refuses_write
from access.sessions import SessionStore, session_id_of

__all__ = ["Gate", "bearer_of", "is_secure", "origin_of", "refuse_cross_site"]

RevocationCheck = Callable[[str], Awaitable[bool]]

WS_UNAUTHENTICATED = 4401
WS_FORBIDDEN = 4403
WS_TOO_SLOW = 4408
"""WebSocket close codes (4000–4999 are ours): no valid token, wrong role, client too slow."""
WS_TRY_AGAIN = 1013
"""The standard "try again later" close: the session store (the cache) cannot answer."""
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SOCKET_RECHECK_S = 5.0
"""How often an open socket's credentials are verified again (and once more at the token's
expiry): a revoked token, an ended session (signed out, or past its 12 h) or an expired
token stops the stream within this long, not only the next connection. A cache lookup and a
revocation check per socket every 5 s is a small load next to the frames it streams."""


def bearer_of(headers: dict[str, str] | object) -> str | None:
    """The token from ``Authorization: Bearer …``."""
    get = getattr(headers, "get", None)
    auth = get("authorization") if get else None
    if isinstance(auth, str) and auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return None


def is_secure(conn: HTTPConnection) -> bool:
    """True when the client reached us over TLS (directly or through a trusted proxy)."""
    return conn.scope.get("scheme") in ("https", "wss")


def origin_of(conn: HTTPConnection) -> str:
    """This console's own origin as the client addressed it."""
    return own_origin(is_secure(conn), conn.headers.get("host", ""))


def refuse_cross_site(request: Request, by_cookie: bool) -> None:
    """Raise 403 for a state-changing request another site's page made (CSRF)."""
    if request.method in SAFE_METHODS:
        return
    headers = request.headers
    if refuses_write(
        headers.get("origin"), headers.get("sec-fetch-site"), origin_of(request), by_cookie
    ):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "cross-site request refused")


class Gate:
    """Verifies tokens, sessions and roles for HTTP routes and WebSockets."""

    def __init__(
        self,
        authority: TokenAuthority,
        is_revoked: RevocationCheck,
        sessions: SessionStore | None = None,
    ) -> None:
        self.authority = authority
        self._is_revoked = is_revoked
        self.sessions = sessions

    async def principal(self, token: str | None) -> Principal:
        """The verified principal of a token (raises TokenError)."""
        principal = await self.authority.averify(token)
        if await self._is_revoked(principal.token_id):
            raise TokenError("token revoked")
        return principal

    async def session_token(self, conn: HTTPConnection) -> str | None:
        """The token of the session the request's cookie names, if any is live."""
        session_id = session_id_of(conn.cookies, is_secure(conn))
        if session_id is None or self.sessions is None:
            return None
        return await self.sessions.token(session_id)

    async def presented(self, websocket: WebSocket) -> str | None:
        """The token a socket presents: subprotocol, ``Authorization``, else its session."""
        offered = subprotocol_token(websocket.scope.get("subprotocols"))
        return offered or bearer_of(websocket.headers) or await self.session_token(websocket)

    async def watch(
        self, websocket: WebSocket, admitted: Principal, every_s: float = SOCKET_RECHECK_S
    ) -> str:
        """Return why, once the credentials a socket was admitted with are no longer good:
        the token expired or was revoked, or the cookie's session ended. A check the cache
        cannot answer is postponed to the next one (expiry is still checked locally)."""
        while True:
            left_s = admitted.expires_at - time.time()
            await asyncio.sleep(max(0.0, min(every_s, left_s)))
            if admitted.expires_at <= time.time():
                return "token expired"
            try:
                current = await self.principal(await self.presented(websocket))
            except TokenError as exc:
                return str(exc)[:120]
            except aioredis.RedisError:
                continue
            if current.token_id != admitted.token_id:
                return "the session now names another token"

    def require(self, *roles: Role) -> Callable[[Request], Awaitable[Principal]]:
        """A FastAPI dependency admitting only the given roles."""

        async def dependency(request: Request) -> Principal:
            token = bearer_of(request.headers)
            if token is None:
                token = await self.session_token(request)
                if token is not None:
                    refuse_cross_site(request, by_cookie=True)
            try:
                principal = await self.principal(token)
            except TokenError as exc:
                raise HTTPException(
                    status.HTTP_401_UNAUTHORIZED,
                    str(exc),
                    headers={"WWW-Authenticate": "Bearer"},
                ) from None
            if principal.role not in roles:
                raise HTTPException(
                    status.HTTP_403_FORBIDDEN, f"role {principal.role.value} may not do this"
                )
            return principal

        return dependency

    async def admit(self, websocket: WebSocket, *roles: Role) -> Principal | None:
        """Accept a socket and return its principal, or close it with a reason code.

        A script offers its token as ``gt.bearer`` subprotocol or ``Authorization`` header;
        a page's socket carries the session cookie and must come from this console's own
        origin (another site's page would ride on the cookie: cross-site WebSocket hijacking).
        """
        offered = subprotocol_token(websocket.scope.get("subprotocols"))
        await websocket.accept(subprotocol=BEARER_SUBPROTOCOL if offered else None)
        token = offered or bearer_of(websocket.headers)
        if token is None:
            try:
                token = await self.session_token(websocket)
            except aioredis.RedisError:
                await websocket.close(WS_TRY_AGAIN, "session store unreachable; try again")
                return None
            origin = (websocket.headers.get("origin") or "").lower()
            if token is not None and origin != origin_of(websocket):
                await websocket.close(WS_FORBIDDEN, "cross-origin socket refused")
                return None
        try:
            principal = await self.principal(token)
        except TokenError as exc:
            await websocket.close(WS_UNAUTHENTICATED, str(exc)[:120])
            return None
        if principal.role not in roles:
            await websocket.close(WS_FORBIDDEN, f"role {principal.role.value} not allowed")
            return None
        return principal
