"""The public page is always true, in a real headless Chromium against the real broker, cache
and console: an alert withdrawn before it went out leaves the page and the feed at once; an
all-clear stands in place of its alert, after a reload too; and a console or public page that
was away (the console server restarted) drops what ended meanwhile.

The alert records are the alerts package's own (draft → approved → sent → cancelled or
all-clear, as the worker makes them), produced to the alerts topic as the worker would.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from playwright.async_api import Browser, Page

from alerts import SEOUL_ISSUER, alert_from_dict, all_clear, cancel, load_policy
from stack.settings import Settings
from tests.browser.conftest import new_page, screenshot_path
from tests.browser.live import console_page, rendered, stream
from tests.conftest import Process, start_console
from tests.console.console_samples import CITY_HALL, assignment, gas_leak_alerts, incident, now

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.integration]


def withdrawn(step: dict[str, Any], how: str) -> dict[str, Any]:
    """The alerts package's cancellation or all-clear of an alert record, as a record."""
    alert, at, policy = alert_from_dict(step), now(), load_policy()
    if how == "all_clear":
        out = all_clear(alert, "kim", at, SEOUL_ISSUER, policy)
    else:
        out = cancel(alert, "kim", at, "잘못된 신고 false report", SEOUL_ISSUER, policy)
    record: dict[str, Any] = orjson.loads(orjson.dumps(out.to_dict()))
    return record


def renamed(step: dict[str, Any], alert_id: str, headline: str) -> dict[str, Any]:
    return {**step, "id": alert_id, "headline": headline, "headlines": {"ko": headline}}


async def public_page(browser: Browser, settings: Settings) -> Page:
    page = await new_page(browser, 1280, 800)
    await page.goto(f"{settings.console_url}/public")
    await page.wait_for_function("document.getElementById('conn').textContent === 'live'")
    return page


async def shown(page: Page) -> list[str]:
    ids: list[str] = await page.evaluate(
        "[...document.querySelectorAll('#alerts li')].map(li => li.dataset.id)"
    )
    return ids


async def test_an_alert_cancelled_before_it_went_out_leaves_the_page_and_the_feed(
    browser: Browser, settings: Settings, console: Process
) -> None:
    steps = gas_leak_alerts("inc-public-drop")
    approved = renamed(steps["approved"], "alert-drop-1", "가스 누출 — 대피 준비")
    kept = renamed(steps["sent"], "alert-kept-1", "가스 누출 — 창문 닫기")
    with stream(settings) as live:
        live.send("alerts", [approved, kept])
        page = await public_page(browser, settings)
        await rendered(page, "document.querySelectorAll('#alerts li').length === 2")
        live.send("alerts", [withdrawn(approved, "cancel")])
        await rendered(page, "!document.querySelector(\"#alerts li[data-id='alert-drop-1']\")")
    assert await shown(page) == ["alert-kept-1"]
    assert await page.evaluate("GT.public.areas.getLayers().length") == 1
    await page.reload()
    await page.wait_for_selector("#alerts li[data-id='alert-kept-1']")
    assert await shown(page) == ["alert-kept-1"]
    async with httpx.AsyncClient(base_url=settings.console_url, timeout=10) as http:
        listed = (await http.get("/api/public/alerts")).json()
        feed = (await http.get("/alerts/feed")).text
    assert [a["id"] for a in listed] == ["alert-kept-1"]
    assert "alert-kept-1" in feed and "alert-drop-1" not in feed
    assert not page.errors  # type: ignore[attr-defined]


async def test_an_all_clear_replaces_its_alert_after_a_reload_too(
    browser: Browser, settings: Settings, console: Process
) -> None:
    sent = renamed(gas_leak_alerts("inc-public-clear")["sent"], "alert-clear-1", "가스 누출 경보")
    cleared = withdrawn(sent, "all_clear")
    assert cleared["id"] == sent["id"] and cleared["revision"] == sent["revision"] + 1
    with stream(settings) as live:
        live.send("alerts", [sent])
        page = await public_page(browser, settings)
        await page.wait_for_selector("#alerts li[data-id='alert-clear-1'].status-sent")
        live.send("alerts", [cleared])
        await page.wait_for_selector("#alerts li[data-id='alert-clear-1'].status-all_clear")
    assert await shown(page) == ["alert-clear-1"]  # in its place, not beside it
    text = await page.inner_text("#alerts")
    assert "해제" in text and "All clear" in text
    await page.reload()
    await page.wait_for_selector("#alerts li[data-id='alert-clear-1'].status-all_clear")
    assert await shown(page) == ["alert-clear-1"]
    async with httpx.AsyncClient(base_url=settings.console_url, timeout=10) as http:
        listed = (await http.get("/api/public/alerts")).json()
    assert [(a["id"], a["status"], a["public_action"]) for a in listed] == [
        ("alert-clear-1", "all_clear", "replace")
    ]
    await page.wait_for_timeout(300)
    await page.screenshot(path=str(screenshot_path("public-all-clear")))
    assert not page.errors  # type: ignore[attr-defined]


async def test_pages_that_were_away_drop_what_ended_meanwhile(
    browser: Browser, settings: Settings, tmp_path: Path
) -> None:
    steps = gas_leak_alerts("inc-away-1")
    draft = renamed(steps["draft"], "alert-away-draft", "가스 누출 초안")
    public = renamed(steps["approved"], "alert-away-public", "가스 누출 — 대피 준비")
    staying = renamed(steps["sent"], "alert-away-stays", "가스 누출 — 창문 닫기")
    ends = incident("inc-away-1", priority=2, type="gas_leak")
    stays = incident("inc-away-2", priority=3, type="medical")
    route = [CITY_HALL, (CITY_HALL[0] + 0.004, CITY_HALL[1] + 0.002)]
    order = assignment("inc-away-1", "E-AWAY-1", "assigned", route)
    served = assignment("inc-away-1", "E-AWAY-2", "assigned", route)  # never called back
    first = start_console(settings, tmp_path / "first")
    try:
        with stream(settings) as live:
            live.send("incidents", [ends, stays])
            live.send("assignments", [order, served])
            live.send("alerts", [draft, public, staying])
            console = await console_page(browser, settings)
            await rendered(
                console,
                "GT.console.state.incidents.size === 2 && GT.console.state.alerts.size === 3"
                " && GT.console.state.assignments.get('inc-away-1|E-AWAY-1')?.line",
            )
            page = await public_page(browser, settings)
            await rendered(page, "document.querySelectorAll('#alerts li').length === 2")
            first.stop()  # both pages lose their server; what ends now, they never hear of
            await rendered(console, "document.getElementById('conn').textContent !== 'live'")
            live.send("incidents", [{**ends, "status": "closed", "version": 2}])
            live.send("assignments", [{**order, "status": "cancelled"}])
            live.send("alerts", [{**draft, "status": "cancelled", "public_action": "drop"}])
            live.send("alerts", [withdrawn(public, "cancel")])
    finally:
        first.stop()
    second = start_console(settings, tmp_path / "second")
    try:
        await rendered(console, "document.getElementById('conn').textContent === 'live'", 30000)
        await rendered(
            console,
            "GT.console.state.incidents.size === 1 && GT.console.state.alerts.size === 1"
            " && !GT.console.state.assignments.get('inc-away-1|E-AWAY-1')?.line"
            # an order never called back goes with its ended incident too
            " && !GT.console.state.assignments.get('inc-away-1|E-AWAY-2')?.line",
            15000,
        )
        await rendered(page, "document.getElementById('conn').textContent === 'live'", 30000)
        await rendered(page, "document.querySelectorAll('#alerts li').length === 1", 15000)
        assert await console.evaluate("[...GT.console.state.alerts.keys()]") == ["alert-away-stays"]
        assert await console.evaluate("[...GT.console.state.incidents.keys()]") == ["inc-away-2"]
        assert await console.locator("#alerts li.alert").count() == 0
        assert await shown(page) == ["alert-away-stays"]
        # a console opened now draws no order of an incident that has ended
        fresh = await console_page(browser, settings)
        await rendered(fresh, "GT.console.state.incidents.size === 1")
        in_force = """[...GT.console.state.assignments.values()]
                        .filter(a => a.data.status !== 'cancelled' || a.line)"""
        assert await fresh.evaluate(in_force) == []
    finally:
        second.stop()
    assert not console.errors  # type: ignore[attr-defined]
    assert not page.errors  # type: ignore[attr-defined]
