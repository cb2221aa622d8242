"""Trusting the city's OpenID Connect provider: a local JWKS server signs people in."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from access import OidcConfig, OidcVerifier, Role, TokenAuthority, TokenError, authority_for
from stack.settings import Settings
from tests.conftest import start_console

ISSUER = "https://sso.seoul.example/realms/119"
SECRET = b"0123456789abcdef0123456789abcdef"
ROLES = {"gt-dispatch": Role.DISPATCHER, "gt-lead": Role.SUPERVISOR, "gt-crew": Role.CREW}


class Provider:
    """An identity provider: RSA keys, a JWKS endpoint on a real socket, and token minting."""

    def __init__(self) -> None:
        self.keys: dict[str, rsa.RSAPrivateKey] = {}
        self.fetches = 0
        self.rotate()
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                provider.fetches += 1
                body = json.dumps(provider.jwks()).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/certs"

    def rotate(self) -> str:
        kid = f"key-{len(self.keys) + 1}"
        self.keys[kid] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = kid
        return kid

    def jwks(self) -> dict[str, Any]:
        keys = []
        for kid, key in self.keys.items():
            jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
            keys.append({**jwk, "kid": kid, "use": "sig", "alg": "RS256"})
        return {"keys": keys}

    def token(self, kid: str | None = None, **claims: Any) -> str:
        kid = kid or self.kid
        now = time.time()
        body = {"iss": ISSUER, "aud": "goldentime", "sub": "u-1", "iat": int(now)}
        body |= {"exp": now + 300, "roles": ["gt-dispatch"], "jti": f"j{now}"}
        body |= claims
        return jwt.encode(body, self.keys[kid], algorithm="RS256", headers={"kid": kid})

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def provider() -> Iterator[Provider]:
    p = Provider()
    yield p
    p.stop()


def authority(provider: Provider, **options: Any) -> TokenAuthority:
    config = OidcConfig(issuer=ISSUER, jwks=provider.url, roles=ROLES, **options)
    oidc = OidcVerifier(config, refresh_cooldown_s=0.0)
    return TokenAuthority(SECRET, oidc=oidc)


def test_a_provider_token_signs_a_dispatcher_in(provider: Provider) -> None:
    who = authority(provider).verify(provider.token(sub="kim.dispatch"))
    assert who.role is Role.DISPATCHER and who.subject == "kim.dispatch"
    assert provider.fetches == 1


def test_the_strongest_mapped_role_wins_and_a_crew_names_its_unit(provider: Provider) -> None:
    auth = authority(provider)
    assert auth.verify(provider.token(roles=["other", "gt-dispatch", "gt-lead"])).role is (
        Role.SUPERVISOR
    )
    crew = auth.verify(provider.token(roles=["gt-crew"], unit="A-3"))
    assert crew.role is Role.CREW and crew.unit_id == "A-3"
    with pytest.raises(TokenError, match="unit"):
        auth.verify(provider.token(roles=["gt-crew"]))


def test_nested_role_claims_are_read(provider: Provider) -> None:
    auth = authority(provider, role_claim="realm_access.roles")
    token = provider.token(roles=None, realm_access={"roles": ["gt-lead"]})
    assert auth.verify(token).role is Role.SUPERVISOR


@pytest.mark.parametrize(
    ("claims", "why"),
    [
        ({"roles": ["citizen"]}, "no GoldenTime role"),
        ({"aud": "another-app"}, "(?i)audience"),
        ({"exp": time.time() - 5}, "expired"),
    ],
)
def test_a_provider_token_that_grants_nothing_here_is_refused(
    provider: Provider, claims: dict[str, Any], why: str
) -> None:
    with pytest.raises(TokenError, match=why):
        authority(provider).verify(provider.token(**claims))


def test_a_token_from_another_issuer_is_not_the_providers(provider: Provider) -> None:
    with pytest.raises(TokenError):
        authority(provider).verify(provider.token(iss="https://evil.example"))


def test_a_key_the_provider_never_published_is_refused(provider: Provider) -> None:
    forged = Provider()
    token = forged.token(kid="key-1")  # same kid, another key
    forged.stop()
    with pytest.raises(TokenError, match="signature"):
        authority(provider).verify(token)


def test_a_rotated_provider_key_is_fetched_when_first_seen(provider: Provider) -> None:
    auth = authority(provider)
    auth.verify(provider.token())
    provider.rotate()
    assert auth.verify(provider.token()).role is Role.DISPATCHER
    assert provider.fetches == 2


def test_an_hmac_token_claiming_the_provider_is_refused(provider: Provider) -> None:
    public_pem = provider.keys["key-1"].public_key()
    claims = {"iss": ISSUER, "aud": "goldentime", "sub": "x", "exp": time.time() + 60}
    confused = jwt.encode(
        claims | {"roles": ["gt-lead"]},
        b"guessed-secret-0123456789abcdef0123456789",
        algorithm="HS256",
    )
    assert public_pem is not None
    with pytest.raises(TokenError):
        authority(provider).verify(confused)


def test_keys_from_a_jwks_file(provider: Provider, tmp_path: Path) -> None:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(provider.jwks()))
    auth = TokenAuthority(SECRET, oidc=OidcVerifier(OidcConfig(ISSUER, str(path), roles=ROLES)))
    assert auth.verify(provider.token()).role is Role.DISPATCHER
    assert provider.fetches == 0


def test_own_tokens_still_verify_beside_the_provider(provider: Provider) -> None:
    auth = authority(provider)
    assert auth.verify(auth.mint(Role.SERVICE, "gateway")).role is Role.SERVICE


def test_a_deployment_configures_the_provider_from_its_settings(provider: Provider) -> None:
    settings = Settings(
        auth_secret=SECRET.decode(),
        oidc_issuer=ISSUER,
        oidc_jwks=provider.url,
        oidc_roles="gt-dispatch=dispatcher,gt-lead=supervisor",
    )
    assert authority_for(settings).verify(provider.token()).role is Role.DISPATCHER


@pytest.mark.integration
async def test_the_console_signs_a_provider_token_in(
    provider: Provider, settings: Settings, tmp_path: Path
) -> None:
    sso = settings.replace(
        oidc_issuer=ISSUER, oidc_jwks=provider.url, oidc_roles="gt-dispatch=dispatcher"
    )
    proc = start_console(sso, tmp_path)
    try:
        async with httpx.AsyncClient(base_url=sso.console_url, timeout=10) as client:
            ok = await client.get("/api/incidents", headers=_bearer(provider.token()))
            assert ok.status_code == 200
            citizen = provider.token(roles=["citizen"])
            assert (await client.get("/api/incidents", headers=_bearer(citizen))).status_code == 401
            crew = provider.token(roles=["gt-dispatch"], aud="other")
            assert (await client.get("/api/incidents", headers=_bearer(crew))).status_code == 401
    finally:
        proc.stop()


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
