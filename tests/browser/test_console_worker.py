"""An accepted recommendation through the real worker: call → incident with recommended units →
the dispatcher accepts → the worker assigns → the console shows the action done and the
incident leaves the queue of calls awaiting dispatch. Real broker, cache, worker, console."""

from __future__ import annotations

import time

import httpx
import pytest
from playwright.async_api import Browser

from access import Role
from stack.settings import Settings
from tests.browser.live import console_page, rendered
from tests.conftest import Process
from tests.console.conftest import bearer
from tests.console.console_samples import CITY_HALL, token

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.integration]


@pytest.mark.timeout(180)
async def test_an_accept_is_pending_until_the_worker_assigns_then_done(
    browser: Browser, settings: Settings, worker: Process, console: Process
) -> None:
    call = {
        "id": "call-accept-worker-1",
        "received_at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
        "location": {"lon": CITY_HALL[0], "lat": CITY_HALL[1], "accuracy_m": 20},
        "category": "fire",
        "description": "3층 창문에서 연기",
    }
    page = await console_page(browser, settings)
    async with httpx.AsyncClient(base_url=settings.console_url, timeout=10) as http:
        posted = await http.post(
            "/api/calls", json=call, headers=bearer(token(settings, Role.SERVICE))
        )
        assert posted.status_code == 202
    row = page.locator("#incidents li.incident.g-pending").first
    await row.wait_for(timeout=30000)
    incident_id = await row.get_attribute("data-id")
    await row.click()
    accept = page.locator("#detail button.accept:not([disabled])")
    await accept.wait_for(timeout=30000)  # the worker's recommendation arrived
    await accept.click()
    done = f"#outcomes li[data-incident='{incident_id}'][data-state=done]"
    await page.locator(done).wait_for(timeout=20000)
    await rendered(
        page, f"!document.querySelector(\"#incidents li.g-pending[data-id='{incident_id}']\")"
    )
    assert not page.errors  # type: ignore[attr-defined]
