"""Every response carries the security headers; no page runs inline script."""

from __future__ import annotations

import re

import httpx
import pytest

from console.headers import content_security_policy
from console.pages import PAGES, STATIC
from stack.settings import Settings
from tests.conftest import Process


def directives(policy: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for part in policy.split(";"):
        name, *values = part.split()
        out[name] = values
    return out


def test_the_policy_allows_only_our_own_scripts_and_no_framing() -> None:
    policy = directives(content_security_policy("console.seoul.example", 8090))
    assert policy["script-src"] == ["'self'"]
    assert policy["default-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'none'"]
    assert policy["connect-src"] == [
        "'self'",
        "ws://console.seoul.example:8090",
        "wss://console.seoul.example:8090",
    ]


@pytest.mark.parametrize("host", ["evil; script-src *", "a b", "x'y", ""])
def test_a_strange_host_header_cannot_write_into_the_policy(host: str) -> None:
    policy = directives(content_security_policy(host, 8090))
    assert policy["connect-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]


@pytest.mark.parametrize("page", sorted(set(PAGES.values())))
def test_pages_hold_no_inline_script_or_handler(page: str) -> None:
    html = (STATIC / page).read_text(encoding="utf-8")
    for tag, body in re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.S | re.I):
        assert "src=" in tag and not body.strip(), f"inline script in {page}"
    assert not re.search(r"\son[a-z]+\s*=", html, re.I), f"inline event handler in {page}"
    assert "javascript:" not in html.lower()


@pytest.mark.integration
async def test_every_page_and_route_sends_the_security_headers(
    settings: Settings, console: Process
) -> None:
    paths = [*PAGES, "/static/base.js", "/healthz", "/api/public/alerts", "/api/incidents"]
    async with httpx.AsyncClient(base_url=settings.console_url, timeout=10) as client:
        for path in paths:
            response = await client.get(path)
            headers = response.headers
            policy = directives(headers["content-security-policy"])
            assert policy["script-src"] == ["'self'"], path
            assert policy["frame-ancestors"] == ["'none'"], path
            assert headers["x-content-type-options"] == "nosniff", path
            assert headers["referrer-policy"] == "no-referrer", path
            assert headers["x-frame-options"] == "DENY", path
            assert "strict-transport-security" not in headers  # plain HTTP here
