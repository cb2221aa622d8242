"""Bearer tokens with a role, shared by every service that checks who is asking.

A token is ``v1.<payload>.<signature>``: the payload (base64url JSON) names the role,
the subject, the unit a crew token is bound to, and the expiry; the signature is
HMAC-SHA256 over the payload with the deployment's secret. Any service holding the
secret verifies a token without a call to another service; revocation is a set of
token ids the caller checks (Redis in the running system).
"""

from access.tokens import Principal, Role, TokenAuthority, TokenError

__all__ = ["Principal", "Role", "TokenAuthority", "TokenError"]
