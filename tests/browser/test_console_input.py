"""What the dispatcher is doing survives live updates: typed text and focus, clicks on rows,
the detail in view after a click, and the queue that puts calls without a unit first.

Real console process, real broker and cache, real Chromium; updates are contract messages
produced to the output topics while the page is being used.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from playwright.async_api import Browser, Route
from playwright.async_api import TimeoutError as PlaywrightTimeout

from access import Role
from console.places import place_name
from geo import load_city
from stack.settings import Settings
from tests.browser.conftest import new_page, screenshot_path, sign_in
from tests.browser.live import console_page, rendered, stream
from tests.browser.scene import busy_scene
from tests.conftest import Process
from tests.console.console_samples import CITY_HALL, assignment, incident, token, unit_status

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.integration]

FIRST_ROW = "document.querySelector('#incidents li.incident')?.dataset.id"
ROUTE = [(126.9740, 37.5610), (126.9780, 37.5630), (126.9820, 37.5650)]


def spot(i: int) -> tuple[float, float]:
    """A spread of points over central Seoul."""
    return (126.95 + (i * 7919 % 500) / 500 * 0.06, 37.54 + (i * 104729 % 500) / 500 * 0.05)


@pytest.mark.timeout(120)
async def test_a_reason_typed_during_30_updates_survives(
    browser: Browser, settings: Settings, console: Process
) -> None:
    scene = busy_scene()
    target = scene.incidents[0]
    with stream(settings) as live:
        live.send("unit-status", scene.units)
        live.send("incidents", scene.incidents)
        live.send("assignments", scene.assignments)
        page = await console_page(browser, settings)
        row = page.locator(f"#incidents li.incident[data-id='{target['id']}']")
        await row.click()
        reason = page.locator("#detail input[name=reason]")
        await reason.click()
        await page.evaluate("window.reasonInput = document.querySelector(`#detail [name=reason]`)")
        text = "도로 통제로 인접 펌프차 투입 — road closed, E-2"
        typed = ""
        for n, char in enumerate(text[:30], start=2):
            bumped = [
                {**inc, "version": n, "description": f"update {n}"} for inc in scene.incidents
            ]
            live.send("incidents", bumped)
            meta = "document.querySelector('#detail .meta').textContent"
            await rendered(page, f"{meta}.includes('v{n}')")
            await page.keyboard.type(char)
            typed += char
        state = await page.evaluate(
            """() => { const i = document.querySelector('#detail input[name=reason]');
                 return { value: i.value, focused: document.activeElement === i,
                          same: i === window.reasonInput, caret: i.selectionStart,
                          description: document.querySelector('#detail .description')
                                         .textContent }; }"""
        )
    assert state["description"] == "update 31"  # all 30 updates reached the open panel
    assert state["value"] == typed and len(typed) == 30
    assert state["focused"] and state["same"] and state["caret"] == 30
    assert not page.errors  # type: ignore[attr-defined]


@pytest.mark.timeout(120)
async def test_10_of_10_clicks_on_rows_register_during_updates(
    browser: Browser, settings: Settings, console: Process
) -> None:
    incidents = [
        incident(f"inc-click-{i:02d}", *spot(i), priority=1 + i % 5, type="medical")
        for i in range(60)
    ]
    with stream(settings) as live:
        live.send("incidents", incidents)
        page = await console_page(browser, settings)
        await rendered(page, "document.querySelectorAll('#incidents li.incident').length === 60")
        stop = asyncio.Event()
        sent = 0

        async def updates() -> None:  # ≈ 20 updates/s, every row's text changes
            nonlocal sent
            version = 1
            while not stop.is_set():
                version += 1
                batch = [{**inc, "version": version, "patients": version % 7} for inc in incidents]
                await asyncio.to_thread(live.send, "incidents", batch)
                sent += 1
                await asyncio.sleep(0.05)

        task = asyncio.create_task(updates())
        registered = 0
        renders_during_presses = 0
        try:
            await rendered(page, "GT.console.renderMs.length > 5")
            ids = [incidents[i]["id"] for i in range(3, 60, 6)][:10]
            for incident_id in ids:
                row = page.locator(f"#incidents li.incident[data-id='{incident_id}']")
                await row.scroll_into_view_if_needed()
                box = await row.bounding_box()
                assert box is not None
                before = await page.evaluate("GT.console.renderMs.length")
                await page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
                await page.mouse.down()
                await page.wait_for_timeout(120)  # a human press lasts ~100 ms
                await page.mouse.up()
                after = await page.evaluate("GT.console.renderMs.length")
                renders_during_presses += after - before
                try:
                    await rendered(page, f"GT.console.state.selected === '{incident_id}'", 1000)
                    registered += 1
                except PlaywrightTimeout:
                    pass
        finally:
            stop.set()
            await task
    assert sent >= 10 and renders_during_presses >= 5, (sent, renders_during_presses)
    assert registered == 10
    assert not page.errors  # type: ignore[attr-defined]


@pytest.mark.timeout(120)
async def test_the_detail_is_in_view_and_the_map_on_the_incident_after_a_click(
    browser: Browser, settings: Settings, console: Process
) -> None:
    incidents = [incident(f"inc-view-{i:03d}", *spot(i), priority=1 + i % 5) for i in range(320)]
    with stream(settings) as live:
        live.send("incidents", incidents)
        page = await console_page(browser, settings, 1366, 768)
        await rendered(page, "document.querySelectorAll('#incidents li.incident').length === 300")
        last = page.locator("#incidents li.incident").last
        incident_id = await last.get_attribute("data-id")
        await last.scroll_into_view_if_needed()
        await last.click()
        title = "document.querySelector('#detail h3')?.textContent"
        await rendered(page, f"{title}.startsWith('{incident_id}')")
    inside = await page.evaluate(
        """() => [...document.querySelectorAll(
                   '#detail h3, #detail button.accept, #detail input[name=reason]')]
             .map(e => { const r = e.getBoundingClientRect();
                         return r.top >= 0 && r.bottom <= innerHeight
                                && r.left >= 0 && r.right <= innerWidth; })"""
    )
    assert inside == [True, True, True]
    offset_px = await page.evaluate(
        f"""(() => {{ const m = GT.console.map, i = GT.console.state.incidents.get('{incident_id}');
              const p = m.latLngToContainerPoint([i.location.lat, i.location.lon]);
              const c = m.getSize().divideBy(2);
              return Math.hypot(p.x - c.x, p.y - c.y); }})()"""
    )
    assert offset_px < 2  # the map is centred on the incident
    assert not page.errors  # type: ignore[attr-defined]


@pytest.mark.timeout(120)
async def test_a_click_while_the_city_map_still_loads_keeps_the_map_on_the_incident(
    browser: Browser, settings: Settings, console: Process
) -> None:
    """The city's outline and roads arrive after the incidents (held here until the click, as
    a loaded machine or a slow link delays them): the map's first fits (to the city, then to
    every incident) must not move it off the incident the dispatcher already opened."""
    incidents = [incident(f"inc-early-{i:03d}", *spot(i), priority=1 + i % 5) for i in range(40)]
    base_map = asyncio.Event()

    async def hold(route: Route) -> None:
        await base_map.wait()
        await route.continue_()

    page = await new_page(browser, 1366, 768)
    for layer in ("/api/city", "/api/layers/districts", "/api/layers/roads"):
        await page.route(f"**{layer}", hold)
    await sign_in(page, settings.console_url, token(settings, Role.DISPATCHER))
    with stream(settings) as live:
        live.send("incidents", incidents)
        await page.goto(f"{settings.console_url}/")
        await rendered(page, "document.querySelectorAll('#incidents li.incident').length === 40")
        last = page.locator("#incidents li.incident").last
        incident_id = await last.get_attribute("data-id")
        await last.click()
        await rendered(
            page, f"document.querySelector('#detail h3')?.textContent.startsWith('{incident_id}')"
        )
        assert await page.evaluate("GT.console.baseMapped") is False  # still loading
        base_map.set()
        await rendered(page, "GT.console.baseMapped === true")
        # a frame after the base map: the console's own first fit would have run in it
        await page.evaluate(
            "new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"
        )
    offset_px = await page.evaluate(
        f"""(() => {{ const m = GT.console.map, i = GT.console.state.incidents.get('{incident_id}');
              const p = m.latLngToContainerPoint([i.location.lat, i.location.lon]);
              const c = m.getSize().divideBy(2);
              return Math.hypot(p.x - c.x, p.y - c.y); }})()"""
    )
    assert offset_px < 2, f"the map moved {offset_px:.0f} px off the opened incident"
    assert not page.errors  # type: ignore[attr-defined]


def _on_scene(i: int) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    inc = incident(f"inc-busy-{i:03d}", *spot(i), priority=1, status="on_scene", version=3)
    unit = f"E-BUSY-{i:03d}"
    return (
        inc,
        assignment(inc["id"], unit, "assigned", ROUTE),
        unit_status(unit, "on_scene", *spot(i), incident_id=inc["id"]),
    )


@pytest.mark.timeout(120)
async def test_an_unassigned_p1_is_first_among_many_p1s_with_units_on_scene(
    browser: Browser, settings: Settings, console: Process
) -> None:
    busy = [_on_scene(i) for i in range(127)]
    # the cardiac arrest was called last: every busy P1's deadline is earlier than its own
    arrest = incident("inc-arrest", *spot(999), priority=1, type="cardiac_arrest")
    recommended_only = incident("inc-rec-only", *spot(998), priority=2, type="fire")
    with stream(settings) as live:
        free = unit_status("E-FREE", "available", *spot(5))
        live.send("unit-status", [u for _, _, u in busy] + [free])
        live.send("incidents", [i for i, _, _ in busy])
        live.send("assignments", [a for _, a, _ in busy])
        live.send("incidents", [arrest, recommended_only])
        live.send("assignments", [assignment("inc-rec-only", "E-FREE", "recommended", ROUTE)])
        page = await console_page(browser, settings, 1366, 768)
        await rendered(page, "GT.console.state.incidents.size === 129")
        await rendered(page, f"{FIRST_ROW} === 'inc-arrest'")
    rows = await page.evaluate(
        "[...document.querySelectorAll('#incidents li')].slice(0, 5)"
        ".map(li => li.classList.contains('group') ? 'group:' + li.className : li.dataset.id)"
    )
    pending, active = "group:group group-pending", "group:group group-active"
    assert rows[:4] == [pending, "inc-arrest", "inc-rec-only", active]
    first = await page.inner_text("#incidents li.incident")
    assert "심정지" in first and "cardiac_arrest" not in first
    await page.locator("#incidents li.incident[data-id='inc-arrest']").click()
    await page.locator("#detail h3", has_text="inc-arrest").wait_for()
    await page.wait_for_timeout(300)  # let the map canvas paint before the picture
    await page.locator("#alarms li.loud[data-key='new:inc-arrest']").wait_for()
    await page.screenshot(path=str(screenshot_path("console-queue")))
    await page.select_option("#filter-group", "active")
    await rendered(page, f"{FIRST_ROW}.startsWith('inc-busy')")
    await page.select_option("#filter-group", "")
    await page.select_option("#filter-priority", "2")
    await rendered(page, "document.querySelectorAll('#incidents li.incident').length === 1")
    assert await page.get_attribute("#incidents li.incident", "data-id") == "inc-rec-only"
    assert not page.errors  # type: ignore[attr-defined]


@pytest.mark.timeout(120)
async def test_an_incident_without_an_address_is_placed_by_gu_dong_and_street(
    browser: Browser, settings: Settings, console: Process
) -> None:
    lon, lat = CITY_HALL
    expected = place_name(load_city(settings.data_dir), lon, lat)  # the console's own city
    assert expected and expected.endswith(" 부근")
    quiet = incident("inc-place-1", lon, lat, priority=1, address=None, district=None)
    with stream(settings) as live:
        live.send("incidents", [quiet])
        page = await console_page(browser, settings)
        row = page.locator("#incidents li.incident[data-id='inc-place-1']")
        await row.filter(has_text=expected).wait_for()
        await row.click()
        await page.locator("#detail .place", has_text=expected).wait_for()
    assert not any(ch.isdigit() for ch in expected.split()[0])  # a name, not coordinates
    assert not page.errors  # type: ignore[attr-defined]


@pytest.mark.timeout(120)
async def test_rows_do_not_move_under_the_pointer_and_reorder_once_it_leaves(
    browser: Browser, settings: Settings, console: Process
) -> None:
    incidents = [incident(f"inc-hold-{i}", *spot(i), priority=3, type="fire") for i in range(6)]
    order = "[...document.querySelectorAll('#incidents li.incident')].map(li => li.dataset.id)"
    with stream(settings) as live:
        live.send("incidents", incidents)
        page = await console_page(browser, settings)
        await rendered(page, "document.querySelectorAll('#incidents li.incident').length === 6")
        before = await page.evaluate(order)
        box = await page.locator("#incidents li.incident").nth(2).bounding_box()
        assert box is not None
        await page.mouse.move(box["x"] + 10, box["y"] + 10)
        await page.mouse.move(box["x"] + 12, box["y"] + 12)
        last = next(i for i in incidents if i["id"] == before[-1])
        live.send("incidents", [{**last, "priority": 1, "version": 2}])  # would go to the top
        await rendered(page, f"GT.console.state.incidents.get('{last['id']}').priority === 1")
        await rendered(page, "document.getElementById('more').textContent.includes('held')")
        held = await page.evaluate(order)
        title = await page.locator(f"#incidents li.incident[data-id='{last['id']}']").inner_text()
        await page.mouse.move(700, 400)  # over the map: the pointer left the list
        await rendered(page, f"({order})[0] === '{last['id']}'")
    assert held == before  # nothing moved under the pointer
    assert "P1" in title  # …while the row's content did change
    assert not page.errors  # type: ignore[attr-defined]
