"""Signing in through the sign-in page: a one-time link or a pasted token, ending in an
HttpOnly session cookie; no token in a URL, in storage or within a script's reach."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, Page, Request

from access import Role
from access.sessions import SESSION_COOKIE
from console.login import mint_login_link
from stack.settings import Settings
from tests.browser.conftest import new_page
from tests.conftest import Process
from tests.console.console_samples import token

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.integration]

LIVE = "document.getElementById('conn').textContent === 'live'"
STORED = """() => JSON.stringify([document.cookie,
  Object.entries(sessionStorage), Object.entries(localStorage)])"""


def watch_urls(page: Page) -> list[str]:
    """Every URL the page asks for from now on: requests and sockets."""
    urls: list[str] = []

    def seen(request: Request) -> None:
        urls.append(request.url)

    page.on("request", seen)
    page.on("websocket", lambda ws: urls.append(ws.url))
    return urls


async def assert_nothing_in_reach(page: Page, secrets: list[str], urls: list[str]) -> None:
    """No secret in a URL asked for, the address bar, storage, or cookies a script can read;
    the session cookie is HttpOnly and SameSite=Strict."""
    assert not [u for u in [*urls, page.url] if any(s in u for s in secrets)]
    stored = await page.evaluate(STORED)
    assert not any(s in stored for s in secrets), stored
    assert SESSION_COOKIE not in await page.evaluate("document.cookie")
    (cookie,) = [c for c in await page.context.cookies() if c["name"] == SESSION_COOKIE]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/"
    assert not any(s in cookie["value"] for s in secrets)


async def test_a_one_time_link_signs_the_console_in_once(
    browser: Browser, settings: Settings, console: Process
) -> None:
    dispatcher = token(settings, Role.DISPATCHER)
    code = mint_login_link(settings.redis_url, settings.namespace, dispatcher)
    page = await new_page(browser)
    urls = watch_urls(page)
    await page.goto(f"{settings.console_url}/login#code={code}")
    await page.wait_for_url(f"{settings.console_url}/")
    await page.wait_for_function(LIVE)
    assert any("/ws/console" in u for u in urls)
    await assert_nothing_in_reach(page, [dispatcher, code], urls)
    again = await new_page(browser)
    await again.goto(f"{settings.console_url}/login#code={code}")
    await again.wait_for_function("document.getElementById('status').classList.contains('error')")
    assert again.url == f"{settings.console_url}/login"


async def test_a_pasted_crew_token_opens_the_crew_view_and_signing_out_ends_it(
    browser: Browser, settings: Settings, console: Process
) -> None:
    crew = token(settings, Role.CREW, "E-1")
    page = await new_page(browser, 430, 900)
    urls = watch_urls(page)
    await page.goto(f"{settings.console_url}/login")
    await page.fill("#token", "not-a-token")
    await page.click("button[type=submit]")
    await page.wait_for_function("document.getElementById('status').classList.contains('error')")
    await page.fill("#token", crew)
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{settings.console_url}/crew")
    await page.wait_for_function(LIVE)
    assert await page.locator("#unit").inner_text() == "E-1"  # learnt from /api/me
    await assert_nothing_in_reach(page, [crew], urls)
    await page.click("#sign-out")
    await page.wait_for_url(f"{settings.console_url}/login")
    assert not [c for c in await page.context.cookies() if c["name"] == SESSION_COOKIE]
    await page.goto(f"{settings.console_url}/crew")  # no session: back to signing in
    await page.wait_for_url(f"{settings.console_url}/login")
