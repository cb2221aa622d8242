"""A camera that does not start says so, offers a retry, and Esc closes its panel.

Real console, broker, cache and Chromium; this deployment has no video relay, so every
attempt fails and must be shown as failed, never as a panel stuck on "connecting…"."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser

from stack.settings import Settings
from tests.browser.live import console_page, stream
from tests.conftest import Process
from tests.console.console_samples import incident, overlay

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.integration]


@pytest.mark.timeout(120)
async def test_a_camera_that_does_not_start_shows_an_error_and_a_retry_and_esc_closes_it(
    browser: Browser, settings: Settings, console: Process
) -> None:
    inc = incident("inc-cam-1", priority=2)
    with stream(settings) as live:
        live.send("incidents", [inc])
        live.send("overlays", [overlay(inc["id"])])
        page = await console_page(browser, settings)
        attempts: list[str] = []
        page.on("request", lambda r: attempts.append(r.url) if "/api/city" in r.url else None)
        await page.locator("#incidents li.incident[data-id='inc-cam-1']").click()
        await page.locator("#detail .cameras li", has_text="CAM-1").locator("button").click()
        error = page.locator(".feed .feed-status.error")
        await error.wait_for()
        first = await error.inner_text()
        await page.locator(".feed button.retry").click()
        await page.wait_for_function("document.querySelector('.feed .feed-status.error') !== null")
        await page.keyboard.press("Escape")
        await page.locator(".feed").wait_for(state="detached")
    assert "CAM-1" in first or "no video relay" in first
    assert "connecting" not in first
    assert len(attempts) == 2  # the retry tried again
    assert not page.errors  # type: ignore[attr-defined]
