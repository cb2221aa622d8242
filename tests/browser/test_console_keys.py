"""Keyboard first, and alarms a dispatcher cannot miss. Real console, broker, cache, Chromium."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import Browser, Page

from stack.settings import Settings
from tests.browser.live import console_page, rendered, stream
from tests.conftest import Process
from tests.console.console_samples import assignment, gas_leak_alerts, incident, unit_status

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.integration]

ROUTE = [(126.9740, 37.5610), (126.9780, 37.5630), (126.9820, 37.5650)]
SELECTED = "GT.console.state.selected"


def _pending(n: int, priority: int, lon: float) -> tuple[dict[str, Any], ...]:
    inc = incident(f"inc-key-{n}", lon, 37.565, priority=priority, type="medical")
    unit = f"A-KEY-{n}"
    return (
        inc,
        unit_status(unit, "available", *ROUTE[0], kind="ambulance"),
        assignment(inc["id"], unit, "recommended", ROUTE),
    )


def outcome(incident_id: str) -> str:
    return f"#outcomes li[data-incident='{incident_id}'][data-state=pending]"


async def centred_px(page: Page, unit_id: str) -> float:
    value: float = await page.evaluate(
        f"""(() => {{ const m = GT.console.map;
              const u = GT.console.state.units.get('{unit_id}');
              const p = m.latLngToContainerPoint(u.marker.getLatLng());
              const c = m.getSize().divideBy(2); return Math.hypot(p.x - c.x, p.y - c.y); }})()"""
    )
    return value


@pytest.mark.timeout(120)
async def test_keys_walk_the_pending_queue_accept_and_the_command_line_dispatches(
    browser: Browser, settings: Settings, console: Process
) -> None:
    scene = [_pending(1, 3, 126.975), _pending(2, 2, 126.978), _pending(3, 4, 126.981)]
    with stream(settings) as live:
        live.send("unit-status", [u for _, u, _ in scene])
        live.send("incidents", [i for i, _, _ in scene])
        live.send("assignments", [a for _, _, a in scene])
        page = await console_page(browser, settings)
        await rendered(page, "document.querySelectorAll('#incidents li.incident').length === 3")
        await page.keyboard.press("n")
        await rendered(page, f"{SELECTED} === 'inc-key-2'")  # P2 first
        await page.keyboard.press("n")
        await rendered(page, f"{SELECTED} === 'inc-key-1'")
        await page.keyboard.press("k")
        await rendered(page, f"{SELECTED} === 'inc-key-2'")
        await page.keyboard.press("a")
        await page.locator(outcome("inc-key-2")).wait_for()

        await page.keyboard.press("/")
        await page.keyboard.type("D key-1 A-KEY-1")
        await page.keyboard.press("Enter")
        await page.locator(outcome("inc-key-1")).wait_for()
        await page.keyboard.type("D key-3 A-KEY-1")
        await page.keyboard.press("Enter")
        refused = await page.inner_text("#command-error")
        await page.fill("#command", "F A-KEY-3")
        await page.keyboard.press("Enter")
        await rendered(
            page, "document.getElementById('command-error').textContent.startsWith('A-KEY-3')"
        )
        offset = await centred_px(page, "A-KEY-3")
    assert "not recommended" in refused  # another incident's unit needs a reason
    assert offset < 2
    assert not page.errors  # type: ignore[attr-defined]


@pytest.mark.timeout(120)
async def test_a_p1_awaiting_dispatch_sounds_until_acknowledged_and_timers_raise_alarms(
    browser: Browser, settings: Settings, console: Process
) -> None:
    with stream(settings) as live:
        page = await console_page(browser, settings)
        await page.evaluate("GT.alarms.settings.unassignedS = 2; GT.alarms.settings.draftWaitS = 2")
        live.send("incidents", [incident("inc-alarm-p1", priority=1, type="cardiac_arrest")])
        loud = page.locator("#alarms li.loud[data-key='new:inc-alarm-p1']")
        await loud.wait_for()
        sounding = await page.evaluate("GT.alarms.isSounding()")
        await loud.locator("button.ack").click()
        await loud.wait_for(state="detached")
        live.send("incidents", [incident("inc-alarm-p4", priority=4, type="medical")])
        draft = {**gas_leak_alerts("inc-alarm-gas")["draft"], "id": "alert-alarm-draft"}
        live.send("alerts", [draft])
        await page.locator("#alarms li[data-key='unassigned:inc-alarm-p4']").wait_for()
        await page.locator("#alarms li[data-key='draft:alert-alarm-draft']").wait_for()
        quiet = await page.evaluate("GT.alarms.active.has('new:inc-alarm-p1')")
        await page.keyboard.press("Shift+A")
        await rendered(
            page,
            "GT.alarms.active.size === 0 || [...GT.alarms.active.keys()]"
            ".every(k => k.startsWith('unassigned:inc-alarm-p1'))",
        )
    assert sounding is True
    assert quiet is False  # an acknowledged alarm stays quiet while its condition lasts
    assert not page.errors  # type: ignore[attr-defined]


@pytest.mark.timeout(120)
async def test_labels_are_korean_and_english_is_a_setting(
    browser: Browser, settings: Settings, console: Process
) -> None:
    with stream(settings) as live:
        live.send("incidents", [incident("inc-lang-1", priority=1, type="cardiac_arrest")])
        page = await console_page(browser, settings)
        row = page.locator("#incidents li.incident[data-id='inc-lang-1'] .title")
        korean = await row.inner_text()
        async with page.expect_navigation():
            await page.click("#lang")
        await rendered(page, "document.getElementById('conn').textContent === 'live'")
        await row.wait_for()
        english = await row.inner_text()
    assert korean == "P1 심정지"
    assert english == "P1 cardiac arrest"
    assert not page.errors  # type: ignore[attr-defined]
