"""Minting and verifying role-bearing tokens (HMAC-SHA256, stateless, expiring)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """Who a token speaks for."""

    DISPATCHER = "dispatcher"
    SUPERVISOR = "supervisor"
    CREW = "crew"
    SERVICE = "service"


class TokenError(Exception):
    """A token is missing, malformed, forged, expired or revoked."""


@dataclass(frozen=True, slots=True)
class Principal:
    """The verified holder of a token."""

    token_id: str
    role: Role
    subject: str
    unit_id: str | None
    expires_at: float

    def can_dispatch(self) -> bool:
        """True for roles allowed to act on incidents and alerts."""
        return self.role in (Role.DISPATCHER, Role.SUPERVISOR)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenAuthority:
    """Mints and verifies tokens with one deployment secret."""

    def __init__(self, secret: bytes, clock: Callable[[], float] = time.time) -> None:
        if len(secret) < 16:
            raise ValueError("token secret must be at least 16 bytes")
        self._secret = secret
        self._clock = clock

    def mint(
        self, role: Role, subject: str, *, unit_id: str | None = None, ttl_s: float = 12 * 3600
    ) -> str:
        """Return a signed token for ``role`` valid for ``ttl_s`` seconds."""
        if role is Role.CREW and not unit_id:
            raise ValueError("a crew token must be bound to a unit")
        payload = {
            "jti": secrets.token_hex(8),
            "role": role.value,
            "sub": subject,
            "unit": unit_id,
            "exp": round(self._clock() + ttl_s, 3),
        }
        body = _b64(json.dumps(payload, separators=(",", ":")).encode())
        return f"v1.{body}.{self._sign(body)}"

    def verify(self, token: str | None) -> Principal:
        """Return the principal of a valid token, or raise :class:`TokenError`."""
        if not token:
            raise TokenError("missing bearer token")
        parts = token.split(".")
        if len(parts) != 3 or parts[0] != "v1" or len(token) > 2048:
            raise TokenError("malformed token")
        body, signature = parts[1], parts[2]
        if not hmac.compare_digest(self._sign(body), signature):
            raise TokenError("bad token signature")
        try:
            payload = json.loads(_unb64(body))
            principal = Principal(
                token_id=str(payload["jti"]),
                role=Role(payload["role"]),
                subject=str(payload["sub"]),
                unit_id=payload.get("unit"),
                expires_at=float(payload["exp"]),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise TokenError("malformed token payload") from exc
        if principal.expires_at <= self._clock():
            raise TokenError("token expired")
        return principal

    def _sign(self, body: str) -> str:
        return _b64(hmac.new(self._secret, body.encode("ascii"), hashlib.sha256).digest())
