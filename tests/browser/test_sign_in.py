"""Signing in through the sign-in page: a one-time link or a pasted token, no token in a URL."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, Request

from access import Role
from console.login import mint_login_link
from stack.settings import Settings
from tests.browser.conftest import new_page
from tests.conftest import Process
from tests.console.console_samples import token

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.integration]

LIVE = "document.getElementById('conn').textContent === 'live'"


async def test_a_one_time_link_signs_the_console_in_once(
    browser: Browser, settings: Settings, console: Process
) -> None:
    dispatcher = token(settings, Role.DISPATCHER)
    code = mint_login_link(settings.redis_url, settings.namespace, dispatcher)
    page = await new_page(browser)
    urls: list[str] = []

    def seen(request: Request) -> None:
        urls.append(request.url)

    page.on("request", seen)
    page.on("websocket", lambda ws: urls.append(ws.url))
    await page.goto(f"{settings.console_url}/login#code={code}")
    await page.wait_for_url(f"{settings.console_url}/")
    await page.wait_for_function(LIVE)
    assert code not in page.url and dispatcher not in page.url
    assert not [u for u in urls if dispatcher in u or code in u]  # neither in any URL asked for
    again = await new_page(browser)
    await again.goto(f"{settings.console_url}/login#code={code}")
    await again.wait_for_function("document.getElementById('status').classList.contains('error')")
    assert again.url == f"{settings.console_url}/login"


async def test_a_pasted_crew_token_opens_the_crew_view(
    browser: Browser, settings: Settings, console: Process
) -> None:
    page = await new_page(browser, 430, 900)
    await page.goto(f"{settings.console_url}/login")
    await page.fill("#token", "not-a-token")
    await page.click("button[type=submit]")
    await page.wait_for_function("document.getElementById('status').classList.contains('error')")
    await page.fill("#token", token(settings, Role.CREW, "E-1"))
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{settings.console_url}/crew")
    await page.wait_for_function(LIVE)
