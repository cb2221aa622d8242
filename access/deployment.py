"""The token authority of a deployment, built from its settings (secrets, OIDC provider)."""

from __future__ import annotations

from dataclasses import replace

from access.oidc import OidcConfig, OidcVerifier, parse_role_map
from access.tokens import AUDIENCE, TokenAuthority
from stack.settings import Settings

__all__ = ["authority_for"]


def authority_for(settings: Settings) -> TokenAuthority:
    """Mints with ``GT_AUTH_SECRET``; verifies it, ``GT_AUTH_PREVIOUS_SECRETS`` and the
    OpenID Connect provider of ``GT_OIDC_ISSUER`` / ``GT_OIDC_JWKS`` when configured."""
    previous = [s.strip().encode() for s in settings.auth_previous_secrets.split(",") if s.strip()]
    oidc = None
    if settings.oidc_issuer:
        if not settings.oidc_jwks:
            raise ValueError("GT_OIDC_ISSUER needs GT_OIDC_JWKS (a JWKS file or URL)")
        config = OidcConfig(
            issuer=settings.oidc_issuer,
            jwks=settings.oidc_jwks,
            audience=settings.oidc_audience or AUDIENCE,
            role_claim=settings.oidc_role_claim,
            unit_claim=settings.oidc_unit_claim,
        )
        if settings.oidc_roles:
            config = replace(config, roles=parse_role_map(settings.oidc_roles))
        oidc = OidcVerifier(config)
    return TokenAuthority(settings.auth_secret.encode(), previous_secrets=previous, oidc=oidc)
