"""Signing in and out of the pages: the session cookie, one-time links, who is signed in.

A page never holds a token. ``POST /api/session`` takes a token once (pasted into the
sign-in page, sent as ``Authorization: Bearer``) and answers with an HttpOnly session
cookie (:mod:`access.sessions`); a one-time link and the city's SSO end the same way.

``goldentime up`` prints a link ``/login#code=…``: the code sits in the fragment (never
sent to a server, so never in a log), and the sign-in page exchanges it once for a
session; the cache deletes the code as it reads it, and it expires unused.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

import redis
from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from access import Principal, Role, TokenError
from access.sessions import session_cookie, session_id_of
from console.auth import bearer_of, is_secure, refuse_cross_site
from console.context import DISPATCH, Context

__all__ = ["PAGE_ROLES", "login_router", "mint_login_link", "start_session"]

LINK_TTL_S = 15 * 60
PAGE_ROLES = (*DISPATCH, Role.CREW)
"""Roles that have pages, hence browser sessions (a service token stays a script's)."""


def _key(namespace: str, code: str) -> str:
    return f"{namespace}:login-link:{hashlib.sha256(code.encode()).hexdigest()}"


def mint_login_link(redis_url: str, namespace: str, token: str, ttl_s: int = LINK_TTL_S) -> str:
    """Store ``token`` behind a fresh one-time code (the cache keeps only its hash); return it."""
    code = secrets.token_urlsafe(24)
    client = redis.Redis.from_url(redis_url)
    try:
        client.set(_key(namespace, code), token, ex=ttl_s)
    finally:
        client.close()
    return code


class LinkCode(BaseModel):
    """A one-time code from a sign-in link."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=16, max_length=128)


def _who(principal: Principal) -> dict[str, Any]:
    return {
        "role": principal.role.value,
        "subject": principal.subject,
        "unit_id": principal.unit_id,
        "expires_at": principal.expires_at,
    }


async def start_session(ctx: Context, request: Request, token: str | None) -> JSONResponse:
    """Verify ``token`` and answer with who it names and a cookie for a new session."""
    try:
        principal = await ctx.gate.principal(token)
    except TokenError as exc:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, str(exc)) from None
    if principal.role not in PAGE_ROLES or ctx.gate.sessions is None or token is None:
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"no pages for {principal.role.value}")
    try:
        session_id, lifetime_s = await ctx.gate.sessions.start(token, principal.expires_at)
    except ValueError as exc:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, str(exc)) from None
    answer = JSONResponse(_who(principal), headers={"Cache-Control": "no-store"})
    answer.headers["set-cookie"] = session_cookie(session_id, lifetime_s, is_secure(request))
    return answer


def login_router(ctx: Context) -> APIRouter:
    """``POST /api/session``, ``POST /api/login-links/exchange``, ``GET /api/me`` (also
    ``/api/session/check``) and ``POST /logout``."""
    router = APIRouter()
    anyone_signed_in = ctx.gate.require(*Role)

    @router.post("/api/session")
    async def sign_in(request: Request) -> JSONResponse:
        """A session cookie for the bearer token presented (pages' sign-in)."""
        refuse_cross_site(request, by_cookie=False)  # no signing a victim in as someone else
        return await start_session(ctx, request, bearer_of(request.headers))

    @router.post("/api/login-links/exchange")
    async def exchange(request: Request, body: LinkCode) -> JSONResponse:
        """A session for the token behind a one-time code; the code dies here."""
        refuse_cross_site(request, by_cookie=False)
        token = await ctx.redis.getdel(_key(ctx.namespace, body.code))
        if token is None:
            raise HTTPException(404, "this link was used or has expired")
        return await start_session(
            ctx, request, token.decode() if isinstance(token, bytes) else str(token)
        )

    async def me(who: Principal = Depends(anyone_signed_in)) -> dict[str, Any]:
        """The role, subject and unit of who is asking (the crew page learns its unit here)."""
        return _who(who)

    router.add_api_route("/api/me", me, methods=["GET"])
    router.add_api_route("/api/session/check", me, methods=["GET"])

    @router.post("/logout", status_code=204)
    async def sign_out(request: Request) -> Response:
        """End the cookie's session (server side too) and clear the cookie."""
        refuse_cross_site(request, by_cookie=False)
        secure = is_secure(request)
        session_id = session_id_of(request.cookies, secure)
        if session_id is not None and ctx.gate.sessions is not None:
            await ctx.gate.sessions.end(session_id)
        answer = Response(status_code=204, headers={"Cache-Control": "no-store"})
        answer.headers["set-cookie"] = session_cookie("", 0, secure)
        return answer

    return router
