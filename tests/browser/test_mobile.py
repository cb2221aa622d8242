"""Phones: the crew view's status buttons all on screen at 390×844 without scrolling, and the
public page's map with a real height. Real console, broker, cache and Chromium."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser

from access import Role
from console.places import place_name
from geo import load_city
from stack.settings import Settings
from tests.browser.conftest import new_page, screenshot_path, sign_in
from tests.browser.live import rendered, stream
from tests.conftest import Process
from tests.console.console_samples import (
    assignment,
    gas_leak_alerts,
    incident,
    overlay,
    token,
    unit_status,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.integration]

PHONE = (390, 844)
ON_SCREEN = """() => [...document.querySelectorAll('#status-buttons button')].map(b => {
  const r = b.getBoundingClientRect();
  const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  return { status: b.dataset.status, inside: r.top >= 0 && r.bottom <= innerHeight
           && r.left >= 0 && r.right <= innerWidth, uncovered: b.contains(hit) }; })"""


@pytest.mark.timeout(120)
async def test_the_crew_status_buttons_all_fit_on_a_390x844_phone(
    browser: Browser, settings: Settings, console: Process
) -> None:
    mine = incident(
        "inc-phone-1",
        126.9800,
        37.5700,
        type="cardiac_arrest",
        description="70대 남성 의식 없음, 호흡 없음 — 심폐소생술 안내 중",
        address=None,
    )
    route = [(126.9700, 37.5650), (126.9750, 37.5680), (126.9800, 37.5700)]
    with stream(settings) as live:
        live.send(
            "unit-status", [unit_status("A-PHONE-1", "dispatched", *route[0], kind="ambulance")]
        )
        live.send("incidents", [mine])
        live.send("assignments", [assignment(mine["id"], "A-PHONE-1", "assigned", route)])
        live.send("overlays", [overlay(mine["id"], *route[-1])])
        page = await new_page(browser, *PHONE)
        await sign_in(page, settings.console_url, token(settings, Role.CREW, "A-PHONE-1"))
        await page.goto(f"{settings.console_url}/crew")
        await rendered(page, "document.getElementById('address').textContent.length > 0")
        await rendered(page, "document.querySelectorAll('#hydrants li').length > 0")
    buttons = await page.evaluate(ON_SCREEN)
    assert await page.evaluate("scrollY") == 0
    assert [b["status"] for b in buttons] == ["en_route", "on_scene", "transporting", "available"]
    assert all(b["inside"] and b["uncovered"] for b in buttons), buttons
    assert "심정지" in await page.inner_text("#type")
    expected = place_name(load_city(settings.data_dir), *route[-1])  # the console's own city
    assert expected and await page.inner_text("#address") == expected  # a place, not coordinates
    await page.wait_for_timeout(300)  # let the map canvas paint before the picture
    await page.screenshot(path=str(screenshot_path("crew-phone")))
    assert not page.errors  # type: ignore[attr-defined]


@pytest.mark.timeout(120)
async def test_the_public_page_map_has_a_height_on_a_phone(
    browser: Browser, settings: Settings, console: Process
) -> None:
    approved = {**gas_leak_alerts("inc-phone-gas")["approved"], "id": "alert-phone-1"}
    with stream(settings) as live:
        live.send("alerts", [approved])
        page = await new_page(browser, *PHONE)
        await page.goto(f"{settings.console_url}/public")
        await page.locator("#alerts li[data-id='alert-phone-1']").wait_for()
    height = await page.evaluate("document.getElementById('map').getBoundingClientRect().height")
    assert height >= 0.3 * PHONE[1]
    assert await page.evaluate("getComputedStyle(document.body).wordBreak") == "keep-all"
    assert not page.errors  # type: ignore[attr-defined]
