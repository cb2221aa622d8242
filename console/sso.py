"""Signing in through the city's OpenID Connect provider (authorization code with PKCE).

The sign-in page sends the browser to the provider's authorization endpoint with a PKCE
challenge; the provider sends it back to ``/login?code=…&state=…``; the page checks the
state and hands the code and its verifier to the console, which redeems them at the
provider's token endpoint and, only if GoldenTime trusts the access token (issuer,
audience, signature, a mapped role: :mod:`access.oidc`), starts a session with it: the
token stays on the server, the page gets the session cookie.
"""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from access import TokenError
from console.auth import refuse_cross_site
from console.context import Context
from console.login import start_session
from stack.settings import Settings

__all__ = ["sso_router"]


class Redemption(BaseModel):
    """An authorization code, its PKCE verifier and the redirect URI it was issued for."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=2048)
    code_verifier: str = Field(min_length=43, max_length=128)
    redirect_uri: str = Field(min_length=1, max_length=2048)


def sso_router(ctx: Context, settings: Settings) -> APIRouter:
    """``GET /api/session/provider`` and ``POST /api/session/oidc``."""
    router = APIRouter()
    enabled = bool(
        settings.oidc_client_id and settings.oidc_authorize_url and settings.oidc_token_url
    )

    @router.get("/api/session/provider")
    async def provider() -> dict[str, Any]:
        """Where the sign-in page sends people to sign in with the city's SSO (if anywhere)."""
        if not enabled:
            return {"enabled": False}
        return {
            "enabled": True,
            "authorize_url": settings.oidc_authorize_url,
            "client_id": settings.oidc_client_id,
            "scope": "openid",
        }

    @router.post("/api/session/oidc")
    async def redeem(request: Request, body: Redemption) -> JSONResponse:
        """Redeem a code at the provider; a session if GoldenTime trusts its token."""
        refuse_cross_site(request, by_cookie=False)
        if not enabled:
            raise HTTPException(404, "no identity provider configured")
        form = {
            "grant_type": "authorization_code",
            "code": body.code,
            "code_verifier": body.code_verifier,
            "redirect_uri": body.redirect_uri,
            "client_id": settings.oidc_client_id,
        }
        try:
            async with httpx.AsyncClient(timeout=10, trust_env=False) as client:
                answer = await client.post(settings.oidc_token_url, data=form)
        except httpx.HTTPError as exc:
            raise HTTPException(502, f"identity provider unreachable: {exc}") from None
        token = answer.json().get("access_token") if answer.status_code == 200 else None
        if not isinstance(token, str):
            raise HTTPException(401, "the identity provider did not accept the code")
        try:
            await ctx.gate.principal(token)
        except TokenError as exc:
            raise HTTPException(401, f"the provider's token is not valid here: {exc}") from None
        return await start_session(ctx, request, token)

    return router
