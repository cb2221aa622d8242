"""Minting and verifying role-bearing tokens: JWTs with issuer, audience, expiry and key id.

GoldenTime's own tokens are HS256 JWTs signed with a key derived from the deployment
secret; the ``kid`` header names that key, so a deployment rotates its secret by moving
the old one to the previous secrets (still verified) until its tokens have expired. A
deployment that signs people in through its city's OpenID Connect provider also trusts
that provider's tokens (:mod:`access.oidc`); which verifier applies is decided by the
token's issuer.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import jwt

if TYPE_CHECKING:
    from access.oidc import OidcVerifier

__all__ = [
    "AUDIENCE",
    "ISSUER",
    "Principal",
    "Role",
    "TokenAuthority",
    "TokenError",
    "key_id",
]

ISSUER = "goldentime"
"""The ``iss`` of tokens GoldenTime mints itself."""
AUDIENCE = "goldentime"
"""The ``aud`` every token GoldenTime accepts must name (its own and the OIDC provider's)."""
MAX_TOKEN_CHARS = 8192


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


def _signing_key(secret: bytes) -> bytes:
    if len(secret) < 16:
        raise ValueError("token secret must be at least 16 bytes")
    return hmac.new(secret, b"gt-token-jwt-v1", hashlib.sha256).digest()


def key_id(secret: bytes) -> str:
    """The ``kid`` of the key derived from ``secret`` (a fingerprint, never the key)."""
    return hashlib.sha256(b"gt-kid:" + _signing_key(secret)).hexdigest()[:16]


def unverified_claims(token: str) -> dict[str, Any]:
    """The claims of a token before its signature is checked (to pick the verifier)."""
    if not token or len(token) > MAX_TOKEN_CHARS:
        raise TokenError("missing bearer token" if not token else "malformed token")
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise TokenError("malformed token") from exc
    if not isinstance(claims, dict):
        raise TokenError("malformed token payload")
    return claims


def decode_signed(
    token: str,
    key: Any,
    algorithms: list[str],
    audience: str,
    issuer: str,
    also_required: Iterable[str] = (),
) -> dict[str, Any]:
    """The claims of a token whose signature, audience and issuer check out (``exp``,
    ``iss``, ``aud`` and ``sub`` required; expiry is left to the caller's own clock), or
    :class:`TokenError` saying what is wrong."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=algorithms,
            audience=audience,
            issuer=issuer,
            options={
                "require": ["exp", "iss", "aud", "sub", *also_required],
                "verify_exp": False,  # checked by the caller against its own clock
                "verify_iat": False,
            },
        )
    except jwt.InvalidSignatureError as exc:
        raise TokenError("bad token signature") from exc
    except jwt.PyJWTError as exc:
        raise TokenError(f"invalid token: {exc}") from exc
    return claims


class TokenAuthority:
    """Mints GoldenTime's own tokens and verifies them and those of a trusted provider."""

    def __init__(
        self,
        secret: bytes,
        clock: Callable[[], float] = time.time,
        *,
        previous_secrets: Iterable[bytes] = (),
        oidc: OidcVerifier | None = None,
    ) -> None:
        self._kid = key_id(secret)
        self._key = _signing_key(secret)
        self._keys = {key_id(s): _signing_key(s) for s in previous_secrets}
        self._keys[self._kid] = self._key
        self._clock = clock
        self.oidc = oidc

    def mint(
        self, role: Role, subject: str, *, unit_id: str | None = None, ttl_s: float = 12 * 3600
    ) -> str:
        """Return a signed token for ``role`` valid for ``ttl_s`` seconds."""
        if role is Role.CREW and not unit_id:
            raise ValueError("a crew token must be bound to a unit")
        now = self._clock()
        claims = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": subject,
            "jti": secrets.token_hex(8),
            "iat": int(now),
            "exp": round(now + ttl_s, 3),
            "role": role.value,
            "unit": unit_id,
        }
        return jwt.encode(claims, self._key, algorithm="HS256", headers={"kid": self._kid})

    def verify(self, token: str | None) -> Principal:
        """Return the principal of a valid token, or raise :class:`TokenError`."""
        claims = unverified_claims(token or "")
        assert token is not None
        if self.oidc is not None and claims.get("iss") == self.oidc.issuer:
            return self.oidc.verify(token)
        return self._verify_own(token)

    async def averify(self, token: str | None) -> Principal:
        """:meth:`verify` for servers: a provider's key set is fetched off the event loop."""
        if self.oidc is not None and self.oidc.fetches and token:
            claims = unverified_claims(token)
            if claims.get("iss") == self.oidc.issuer:
                return await asyncio.to_thread(self.oidc.verify, token)
        return self.verify(token)

    def _verify_own(self, token: str) -> Principal:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError as exc:
            raise TokenError("malformed token") from exc
        key = self._keys.get(kid) if isinstance(kid, str) else None
        if key is None:
            raise TokenError("bad token signature (unknown signing key)")
        claims = decode_signed(token, key, ["HS256"], AUDIENCE, ISSUER, ["jti"])
        try:
            unit = claims.get("unit")
            principal = Principal(
                token_id=str(claims["jti"]),
                role=Role(claims["role"]),
                subject=str(claims["sub"]),
                unit_id=None if unit is None else str(unit),
                expires_at=float(claims["exp"]),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise TokenError("malformed token payload") from exc
        if principal.role is Role.CREW and not principal.unit_id:
            raise TokenError("a crew token must name its unit")
        if principal.expires_at <= self._clock():
            raise TokenError("token expired")
        return principal
