"""Trusting a city's OpenID Connect provider: its signed tokens sign dispatchers in.

The provider's public keys come from its JWKS (a configured file, or its ``jwks_uri``,
fetched and cached, and fetched again when a token names a key not seen yet, which is
how a provider rotates keys). A token is accepted when its signature verifies with one of
those keys under an asymmetric algorithm, its issuer and audience are the configured
ones and it has not expired; GoldenTime's role and unit come from configured claims.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt

from access.tokens import AUDIENCE, Principal, Role, TokenError, decode_signed

__all__ = ["OidcConfig", "OidcVerifier", "parse_role_map"]

ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA")
"""Asymmetric only: a provider's public key must never double as an HMAC secret."""
_RANK = (Role.SUPERVISOR, Role.DISPATCHER, Role.CREW, Role.SERVICE)


def parse_role_map(text: str) -> dict[str, Role]:
    """``"gt-dispatch=dispatcher,gt-lead=supervisor"`` → claim value to role (ValueError)."""
    out: dict[str, Role] = {}
    for item in text.split(","):
        if not item.strip():
            continue
        value, sep, role = item.partition("=")
        if not sep or not value.strip():
            raise ValueError(f"role mapping {item!r} is not claim-value=role")
        out[value.strip()] = Role(role.strip())
    return out


@dataclass(frozen=True, slots=True)
class OidcConfig:
    """Which provider to trust and how its claims map onto GoldenTime's roles."""

    issuer: str
    jwks: str
    """A path to a JWKS file, or the provider's ``jwks_uri`` (https, or http on loopback)."""
    audience: str = AUDIENCE
    role_claim: str = "roles"
    """Claim holding the role value(s); a dotted path reaches nested claims
    (``realm_access.roles``)."""
    roles: Mapping[str, Role] = field(default_factory=lambda: {r.value: r for r in Role})
    """Claim value → GoldenTime role; with several, the strongest wins."""
    unit_claim: str = "unit"
    """Claim naming a crew's unit."""
    subject_claim: str = "sub"


def _claim(claims: Mapping[str, Any], path: str) -> Any:
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


class OidcVerifier:
    """Verifies tokens signed by one OpenID Connect provider."""

    def __init__(
        self,
        config: OidcConfig,
        clock: Callable[[], float] = time.time,
        timeout_s: float = 5.0,
        refresh_cooldown_s: float = 30.0,
    ) -> None:
        """``refresh_cooldown_s`` bounds how often tokens naming unknown keys cause fetches."""
        self.config = config
        self.issuer = config.issuer
        self._clock = clock
        self.fetches = config.jwks.startswith(("https://", "http://"))
        """True when verifying may fetch keys over the network (servers do it off-loop)."""
        self._client = (
            jwt.PyJWKClient(
                config.jwks, lifespan=300, timeout=timeout_s, cooldown_duration=refresh_cooldown_s
            )
            if self.fetches
            else None
        )

    def _key(self, token: str) -> Any:
        try:
            if self._client is not None:
                return self._client.get_signing_key_from_jwt(token).key
            kid = jwt.get_unverified_header(token).get("kid")
            keys = jwt.PyJWKSet.from_json(Path(self.config.jwks).read_text(encoding="utf-8"))
            for key in keys.keys:
                if kid is None or key.key_id == kid:
                    return key.key
        except (jwt.PyJWTError, OSError) as exc:
            raise TokenError(f"no key of the identity provider for this token: {exc}") from exc
        raise TokenError("no key of the identity provider for this token")

    def verify(self, token: str) -> Principal:
        """The principal of a valid provider token, or raise :class:`TokenError`."""
        key = self._key(token)
        config = self.config
        claims = decode_signed(token, key, list(ALGORITHMS), config.audience, config.issuer)
        try:
            expires_at = float(claims["exp"])
        except (TypeError, ValueError) as exc:
            raise TokenError("malformed token payload") from exc
        if expires_at <= self._clock():
            raise TokenError("token expired")
        role = self._role(claims)
        unit = _claim(claims, self.config.unit_claim)
        unit_id = str(unit) if isinstance(unit, str | int) and str(unit) else None
        if role is Role.CREW and not unit_id:
            raise TokenError(f"a crew token must name its unit ({self.config.unit_claim!r})")
        jti = claims.get("jti")
        token_id = str(jti) if jti else hashlib.sha256(token.encode()).hexdigest()[:32]
        subject = _claim(claims, self.config.subject_claim) or claims["sub"]
        return Principal(token_id, role, str(subject), unit_id, expires_at)

    def _role(self, claims: Mapping[str, Any]) -> Role:
        raw = _claim(claims, self.config.role_claim)
        values = [raw] if isinstance(raw, str) else list(raw) if isinstance(raw, list) else []
        roles = self.config.roles
        granted = {roles[v] for v in values if isinstance(v, str) and v in roles}
        for role in _RANK:
            if role in granted:
                return role
        raise TokenError(f"the token grants no GoldenTime role ({self.config.role_claim!r})")
