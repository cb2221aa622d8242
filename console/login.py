"""Signing in without a token in any URL: the sign-in page and one-time links.

``goldentime up`` prints a link ``/login#code=…``: the code sits in the fragment (never
sent to a server, so never in a log), and the sign-in page exchanges it once for the
token it stands for; the cache deletes the code as it reads it, and it expires unused.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

import redis
from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from access import Principal, Role
from console.context import Context

__all__ = ["login_router", "mint_login_link"]

LINK_TTL_S = 15 * 60


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


def login_router(ctx: Context) -> APIRouter:
    """``POST /api/login-links/exchange`` (the code is the credential) and
    ``GET /api/session/check`` (who a token speaks for, for the sign-in page)."""
    router = APIRouter()
    anyone_signed_in = ctx.gate.require(*Role)

    @router.post("/api/login-links/exchange")
    async def exchange(body: LinkCode) -> dict[str, str]:
        """The token behind a one-time code; the code dies here."""
        token = await ctx.redis.getdel(_key(ctx.namespace, body.code))
        if token is None:
            raise HTTPException(404, "this link was used or has expired")
        return {"token": token.decode() if isinstance(token, bytes) else str(token)}

    @router.get("/api/session/check")
    async def check(who: Principal = Depends(anyone_signed_in)) -> dict[str, Any]:
        """The role, subject and unit of the presented token (it is valid and not revoked)."""
        return {
            "role": who.role.value,
            "subject": who.subject,
            "unit_id": who.unit_id,
            "expires_at": who.expires_at,
        }

    return router
