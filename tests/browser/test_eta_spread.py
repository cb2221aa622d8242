"""An ETA with its spread reads as a range of minutes on the crew view ("3–5 min"), and one
without keeps its clock ETA. Real console, broker, cache and Chromium."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser

from access import Role
from stack.settings import Settings
from tests.browser.conftest import new_page, sign_in
from tests.browser.live import rendered, stream
from tests.conftest import Process
from tests.console.console_samples import assignment, incident, token, unit_status

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.integration]

ROUTE = [(126.9700, 37.5650), (126.9750, 37.5680), (126.9800, 37.5700)]


async def crew_eta(browser: Browser, settings: Settings, unit_id: str, **eta: float) -> str:
    """The crew view's ETA line for one assignment of the unit."""
    mine = incident(f"inc-{unit_id}", *ROUTE[-1], type="fire", address=None)
    with stream(settings) as live:
        live.send("unit-status", [unit_status(unit_id, "dispatched", *ROUTE[0], kind="engine")])
        live.send("incidents", [mine])
        live.send("assignments", [assignment(mine["id"], unit_id, "assigned", ROUTE, **eta)])
        page = await new_page(browser, 800, 900)
        await sign_in(page, settings.console_url, token(settings, Role.CREW, unit_id))
        await page.goto(f"{settings.console_url}/crew")
        await rendered(page, "document.getElementById('eta').textContent.includes('ETA')")
    text = await page.inner_text("#eta")
    assert not page.errors  # type: ignore[attr-defined]
    return text


@pytest.mark.timeout(120)
async def test_crew_sees_the_eta_as_a_range_from_median_to_p90(
    browser: Browser, settings: Settings, console: Process
) -> None:
    text = await crew_eta(
        browser, settings, "E-SPREAD-1", eta_s=200.0, eta_p50_s=200.0, eta_p90_s=276.0
    )
    assert text.startswith("ETA 3–5 min"), text


@pytest.mark.timeout(120)
async def test_crew_sees_a_clock_eta_without_a_spread(
    browser: Browser, settings: Settings, console: Process
) -> None:
    text = await crew_eta(browser, settings, "E-SPREAD-2", eta_s=200.0)
    assert "min" not in text.split("·")[0] and "3:20" in text, text
