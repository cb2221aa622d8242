"""Browser sessions: an HttpOnly cookie naming a session the shared cache keeps.

A page never holds a token. Signing in (a pasted token, a one-time link, the city's SSO)
stores the token in the cache under a fresh random session id and sets a cookie holding
only that id: HttpOnly (no script reads it), SameSite=Strict (no other site's page sends
it), ``Path=/``, and over TLS ``Secure`` with the ``__Host-`` prefix (no subdomain or
plain-HTTP page can set or shadow it). Every use looks the token up and verifies it again,
so expiry, key rotation and revocation apply to a session exactly as to a bearer token;
signing out deletes the session, so a copied cookie dies with it. The cache keeps only a
hash of the id, so reading the cache does not yield cookies.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Mapping

import redis.asyncio as aioredis

__all__ = [
    "SECURE_SESSION_COOKIE",
    "SESSION_COOKIE",
    "SESSION_MAX_S",
    "SessionStore",
    "cookie_name",
    "session_cookie",
    "session_id_of",
]

SESSION_COOKIE = "gt-session"
SECURE_SESSION_COOKIE = "__Host-gt-session"
"""Over TLS the ``__Host-`` prefix binds the cookie to this host, ``Path=/`` and ``Secure``
(OWASP ASVS 4.0 V3.4.4; RFC 6265bis §4.1.3.2)."""
SESSION_MAX_S = 12 * 3600
"""A session ends after 12 h even if its token lives longer: OWASP ASVS 4.0 V3.3.2 (level 2
asks for re-authentication at least every 12 hours)."""


def cookie_name(secure: bool) -> str:
    """The session cookie's name for a request over TLS (``secure``) or plain HTTP."""
    return SECURE_SESSION_COOKIE if secure else SESSION_COOKIE


def session_id_of(cookies: Mapping[str, str], secure: bool) -> str | None:
    """The session id a request's cookies carry (over TLS only the ``__Host-`` cookie counts,
    so a cookie planted over plain HTTP cannot stand in for it)."""
    value = cookies.get(cookie_name(secure))
    return value if value and 16 <= len(value) <= 128 else None


def session_cookie(session_id: str, max_age_s: int, secure: bool) -> str:
    """The ``Set-Cookie`` value starting (or, with ``max_age_s=0``, ending) a session.

    >>> session_cookie("abc", 60, False)
    'gt-session=abc; HttpOnly; Max-Age=60; Path=/; SameSite=Strict'
    >>> session_cookie("", 0, True)
    '__Host-gt-session=; HttpOnly; Max-Age=0; Path=/; SameSite=Strict; Secure'
    """
    parts = [f"{cookie_name(secure)}={session_id}", "HttpOnly", f"Max-Age={max_age_s}"]
    parts += ["Path=/", "SameSite=Strict"]
    return "; ".join(parts + (["Secure"] if secure else []))


class SessionStore:
    """Sessions in the shared cache: session id (hashed) → the token it stands for."""

    def __init__(self, client: aioredis.Redis, namespace: str) -> None:
        self._client = client
        self._namespace = namespace

    def _key(self, session_id: str) -> str:
        digest = hashlib.sha256(session_id.encode()).hexdigest()
        return f"{self._namespace}:session:{digest}"

    async def start(self, token: str, expires_at: float) -> tuple[str, int]:
        """A new session for ``token`` and its lifetime in seconds (the token's remaining
        life, at most ``SESSION_MAX_S``)."""
        lifetime_s = int(min(expires_at - time.time(), SESSION_MAX_S))
        if lifetime_s <= 0:
            raise ValueError("the token has expired")
        session_id = secrets.token_urlsafe(32)
        await self._client.set(self._key(session_id), token, ex=lifetime_s)
        return session_id, lifetime_s

    async def token(self, session_id: str) -> str | None:
        """The token of a live session, or None (unknown, ended or expired)."""
        raw = await self._client.get(self._key(session_id))
        if raw is None:
            return None
        return raw.decode() if isinstance(raw, bytes) else str(raw)

    async def end(self, session_id: str) -> None:
        """End a session (signing out); unknown ids are ignored."""
        await self._client.delete(self._key(session_id))
