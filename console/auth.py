"""Who is asking: bearer tokens checked on every route and socket."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import HTTPException, Request, WebSocket, status

from access import Principal, Role, TokenAuthority, TokenError
from access.bearer import BEARER_SUBPROTOCOL, subprotocol_token

RevocationCheck = Callable[[str], Awaitable[bool]]

WS_UNAUTHENTICATED = 4401
WS_FORBIDDEN = 4403
WS_TOO_SLOW = 4408
"""WebSocket close codes (4000–4999 are ours): no valid token, wrong role, client too slow."""


def bearer_of(headers: dict[str, str] | object, query_token: str | None) -> str | None:
    """The token from ``Authorization: Bearer …``, else ``?token=`` (scripts, older pages)."""
    get = getattr(headers, "get", None)
    auth = get("authorization") if get else None
    if isinstance(auth, str) and auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return query_token


class Gate:
    """Verifies tokens and roles for HTTP routes and WebSockets."""

    def __init__(self, authority: TokenAuthority, is_revoked: RevocationCheck) -> None:
        self.authority = authority
        self._is_revoked = is_revoked

    async def principal(self, token: str | None) -> Principal:
        """The verified principal of a token (raises TokenError)."""
        principal = await self.authority.averify(token)
        if await self._is_revoked(principal.token_id):
            raise TokenError("token revoked")
        return principal

    def require(self, *roles: Role) -> Callable[[Request], Awaitable[Principal]]:
        """A FastAPI dependency admitting only the given roles."""

        async def dependency(request: Request) -> Principal:
            token = bearer_of(request.headers, None)  # never from a URL: logs, history, Referer
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
        """Accept a socket and return its principal, or close it with a reason code."""
        offered = subprotocol_token(websocket.scope.get("subprotocols"))
        await websocket.accept(subprotocol=BEARER_SUBPROTOCOL if offered else None)
        token = offered or bearer_of(websocket.headers, websocket.query_params.get("token"))
        try:
            principal = await self.principal(token)
        except TokenError as exc:
            await websocket.close(WS_UNAUTHENTICATED, str(exc)[:120])
            return None
        if principal.role not in roles:
            await websocket.close(WS_FORBIDDEN, f"role {principal.role.value} not allowed")
            return None
        return principal
