"""Bearer tokens with a role, shared by every service that checks who is asking.

A token is a JWT naming the role, the subject, the unit a crew token is bound to, the
issuer, the audience and the expiry. GoldenTime's own tokens are HS256 with a key derived
from the deployment's secret (``kid`` names it, so secrets rotate); a deployment may also
trust its city's OpenID Connect provider (RS/ES/EdDSA, keys from its JWKS). Any service
holding the configuration verifies a token without a call to another service; revocation
is a set of token ids the caller checks (the cache in the running system). Pages never
hold a token: a browser session (:mod:`access.sessions`) is an HttpOnly cookie naming a
token the cache keeps, used only from the console's own origin (:mod:`access.origin`).
"""

from access.bearer import BEARER_SUBPROTOCOL, subprotocol_token
from access.deployment import authority_for
from access.oidc import OidcConfig, OidcVerifier
from access.tokens import AUDIENCE, ISSUER, Principal, Role, TokenAuthority, TokenError

__all__ = [
    "AUDIENCE",
    "BEARER_SUBPROTOCOL",
    "ISSUER",
    "OidcConfig",
    "OidcVerifier",
    "Principal",
    "Role",
    "TokenAuthority",
    "TokenError",
    "authority_for",
    "subprotocol_token",
]
