"""Signing in with the city's SSO: authorization code with PKCE against a local provider."""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import orjson
import pytest
from playwright.async_api import Browser

from stack.settings import Settings
from tests.access.test_oidc import ISSUER, Provider
from tests.browser.conftest import new_page
from tests.conftest import start_console

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.integration]


class AuthorizationServer:
    """The provider's authorization and token endpoints (it signs everyone in as kim)."""

    def __init__(self, provider: Provider) -> None:
        self.grants: dict[str, dict[str, str]] = {}
        self.redeemed: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                q = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
                code = secrets.token_urlsafe(16)
                server.grants[code] = q
                back = q["redirect_uri"] + "?" + urlencode({"code": code, "state": q["state"]})
                self.send_response(302)
                self.send_header("Location", back)
                self.end_headers()

            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                grant = server.grants.pop(form.get("code", ""), None)
                digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
                challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
                ok = (
                    grant is not None
                    and grant["code_challenge"] == challenge
                    and grant["code_challenge_method"] == "S256"
                    and grant["redirect_uri"] == form.get("redirect_uri")
                    and grant["client_id"] == form.get("client_id")
                )
                body: dict[str, Any] = {"error": "invalid_grant"}
                if ok:
                    server.redeemed.append(form["code"])
                    body = {"access_token": provider.token(sub="kim"), "token_type": "Bearer"}
                data = orjson.dumps(body)
                self.send_response(200 if ok else 400)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def city_sso() -> Iterator[tuple[Provider, AuthorizationServer]]:
    provider = Provider()
    auth = AuthorizationServer(provider)
    yield provider, auth
    auth.stop()
    provider.stop()


async def test_the_city_sso_signs_a_dispatcher_in_with_pkce(
    browser: Browser,
    settings: Settings,
    tmp_path: Path,
    city_sso: tuple[Provider, AuthorizationServer],
) -> None:
    provider, auth = city_sso
    sso = settings.replace(
        oidc_issuer=ISSUER,
        oidc_jwks=provider.url,
        oidc_roles="gt-dispatch=dispatcher",
        oidc_client_id="goldentime-console",
        oidc_authorize_url=f"{auth.url}/authorize",
        oidc_token_url=f"{auth.url}/token",
    )
    proc = start_console(sso, tmp_path)
    try:
        page = await new_page(browser)
        await page.goto(f"{sso.console_url}/login")
        await page.locator("#sso").click()
        await page.wait_for_url(f"{sso.console_url}/")
        await page.wait_for_function("document.getElementById('conn').textContent === 'live'")
        assert len(auth.redeemed) == 1 and auth.redeemed[0] not in page.url
        who = await page.evaluate("fetch('/api/me').then((r) => r.json())")
        assert who["subject"] == "kim" and who["role"] == "dispatcher"  # the provider's token
        stored = await page.evaluate(
            "JSON.stringify([document.cookie, Object.entries(sessionStorage)])"
        )
        assert "eyJ" not in stored  # the token stays on the server: no JWT within a script's reach
    finally:
        proc.stop()
