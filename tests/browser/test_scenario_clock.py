"""The console shows the simulated city's clock (time, speed, scenario) while a simulator
publishes it, and nothing once it has stopped."""

from __future__ import annotations

import orjson
import pytest
import redis
from playwright.async_api import Browser

from scenarios.clock import clock_key
from stack.settings import Settings
from tests.browser.live import console_page, rendered
from tests.conftest import Process

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.integration]


@pytest.mark.timeout(120)
async def test_the_header_shows_the_scenario_clock_while_a_simulator_runs(
    browser: Browser, settings: Settings, console: Process
) -> None:
    cache = redis.Redis.from_url(settings.redis_url)
    key = clock_key(settings.namespace)
    clock = {
        "clock": "2026-10-29T22:15:00+09:00",
        "elapsed_s": 13_260.0,
        "speed": 60.0,
        "scenario": "itaewon-crowd-crush",
        "started_at": "2026-10-29T18:34:00+09:00",
    }
    try:
        cache.set(key, orjson.dumps(clock), ex=60)
        page = await console_page(browser, settings)
        shown = "document.getElementById('scenario')"
        await rendered(page, f"!{shown}.hidden && {shown}.textContent.includes('22:15')", 15000)
        text = await page.locator("#scenario").text_content()
        assert text is not None and "×60" in text and "itaewon-crowd-crush" in text
        cache.set(key, orjson.dumps({**clock, "stopped": True}), ex=60)
        await rendered(page, f"{shown}.hidden", 15000)
        assert not page.errors  # type: ignore[attr-defined]
    finally:
        cache.delete(key)
        cache.close()
