"""The three pages in a real headless Chromium against the real broker, cache and console.

Until the worker emits assignments, overlays and alerts, these tests produce contract-valid
messages to those output topics themselves (the console is a consumer of them) and act as
the worker would after a dispatcher's command.
"""

from __future__ import annotations

import time

import httpx
import orjson
import pytest
from playwright.async_api import Browser, Page

from access import Role
from stack.settings import Settings
from streams.topics import Topics
from tests.browser.conftest import new_page, screenshot_path, sign_in
from tests.browser.scene import busy_scene
from tests.conftest import Process
from tests.console.conftest import bearer, publish
from tests.console.console_samples import (
    CITY_HALL,
    assignment,
    gas_leak_alerts,
    incident,
    overlay,
    token,
    unit_status,
)
from tests.kafka_io import read_until

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.integration]

DISPATCHED = "#80deea"  # GT.UNIT_COLOURS.dispatched in console/static/base.js
AVAILABLE = "#2ecc71"


def publish_scene(settings: Settings) -> None:
    scene = busy_scene()
    publish(settings, "unit-status", scene.units, key="unit_id")
    publish(settings, "incidents", scene.incidents)
    publish(settings, "assignments", scene.assignments, key="incident_id")
    publish(settings, "overlays", scene.overlays, key="incident_id")


async def open_console(browser: Browser, settings: Settings) -> Page:
    page = await new_page(browser)
    await sign_in(page, settings.console_url, token(settings, Role.DISPATCHER))
    await page.goto(f"{settings.console_url}/")
    await page.wait_for_function("document.getElementById('conn').textContent === 'live'")
    return page


async def test_posted_call_appears_as_marker_and_list_entry(
    browser: Browser, settings: Settings, worker: Process, console: Process
) -> None:
    """A call posted to the console becomes an incident on the map and in the list.

    How fast is measured by ``python -m bench.call_latency`` (call → incident on a console
    socket, against a bare produce → consume round trip), not asserted here.
    """
    publish_scene(settings)
    page = await open_console(browser, settings)
    await page.wait_for_function("GT.console.state.incidents.size >= 24", timeout=15000)
    call = {
        "id": "call-browser-1",
        "received_at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
        "location": {"lon": CITY_HALL[0], "lat": CITY_HALL[1], "accuracy_m": 20},
        "category": "fire",
        "description": "<img src=x onerror=alert(1)> smoke from 3rd floor",
        "address": "서울특별시 중구 세종대로 110",
        "caller": {"phone": "+82-10-1234-5678", "language": "ko"},
    }
    service = bearer(token(settings, Role.SERVICE))
    async with httpx.AsyncClient(base_url=settings.console_url, timeout=10) as http:
        assert (await http.post("/api/calls", json=call, headers=service)).status_code == 202
    entry = page.locator("#incidents li.incident", has_text="세종대로 110")
    await entry.first.wait_for(timeout=15000)
    marker = await page.evaluate(
        """() => [...GT.console.state.incidents.values()]
             .filter(i => i.evidence.some(e => e.id === 'call-browser-1'))
             .map(i => GT.console.state.markers.has(i.id))"""
    )
    assert marker == [True]
    await entry.first.click()
    await page.wait_for_selector("#detail h3")
    detail = await page.inner_text("#detail")
    assert "<img src=x onerror=alert(1)>" in detail  # shown as text, never parsed as HTML
    assert await page.locator("#detail img").count() == 0
    assert not page.errors  # type: ignore[attr-defined]


async def test_accepting_a_recommendation_changes_the_units_status_on_the_map(
    browser: Browser, settings: Settings, console: Process
) -> None:
    publish_scene(settings)
    inc = incident("inc-accept-1", 126.9820, 37.5650, priority=1, address="을지로 30")
    unit = unit_status("E-ACCEPT-1", "available", 126.9740, 37.5610)
    route = [(126.9740, 37.5610), (126.9780, 37.5630), (126.9820, 37.5650)]
    publish(settings, "unit-status", [unit], key="unit_id")
    publish(settings, "incidents", [inc])
    publish(settings, "overlays", [overlay(inc["id"], 126.9820, 37.5650)], key="incident_id")
    publish(
        settings,
        "assignments",
        [assignment(inc["id"], "E-ACCEPT-1", "recommended", route)],
        key="incident_id",
    )
    page = await open_console(browser, settings)
    colour = "() => GT.console.state.units.get('E-ACCEPT-1')?.marker?.options.fillColor"
    await page.wait_for_function(f"({colour})() === '{AVAILABLE}'", timeout=10000)
    await page.locator("#incidents li.incident", has_text="을지로 30").click()
    await page.locator("#detail button.accept:not([disabled])").click()
    outcome = f"#outcomes li[data-incident='{inc['id']}']"
    await page.locator(f"{outcome}[data-state=pending]").wait_for(timeout=5000)
    commands = await read_until(
        settings.kafka_bootstrap,
        Topics(settings.topic_prefix).commands,
        lambda r: any(c["incident_id"] == inc["id"] for c in r),
    )
    command = commands[-1]
    assert command["action"] == "accept_recommendation"
    assert command["unit_ids"] == ["E-ACCEPT-1"] and command["role"] == "dispatcher"
    # the worker does not assign yet: act as it would on this command
    publish(
        settings,
        "assignments",
        [assignment(inc["id"], "E-ACCEPT-1", "assigned", route, issued_by=command["by"])],
        key="incident_id",
    )
    publish(
        settings,
        "unit-status",
        [unit_status("E-ACCEPT-1", "dispatched", 126.9740, 37.5610, incident_id=inc["id"])],
        key="unit_id",
    )
    await page.wait_for_function(f"({colour})() === '{DISPATCHED}'", timeout=5000)
    await page.locator(f"{outcome}[data-state=done]").wait_for(timeout=5000)
    badge = page.locator("#detail .unit-status[data-unit='E-ACCEPT-1']")
    await badge.filter(has_text="dispatched").wait_for(timeout=5000)
    await page.wait_for_function("GT.console.state.fitted === true")  # zoomed to the incidents
    await page.wait_for_timeout(300)  # let the canvas paint before the picture
    await page.screenshot(path=str(screenshot_path("console")))
    assert not page.errors  # type: ignore[attr-defined]
    async with httpx.AsyncClient(base_url=settings.console_url, timeout=10) as http:
        audit = await http.get("/api/audit", headers=bearer(token(settings, Role.SUPERVISOR)))
    assert any(a["command_id"] == command["id"] for a in audit.json())


async def test_crew_page_shows_only_its_own_route(
    browser: Browser, settings: Settings, console: Process
) -> None:
    publish_scene(settings)
    mine = incident("inc-crew-mine", 126.9800, 37.5700, address="종로 1길 5", type="medical")
    theirs = incident("inc-crew-theirs", 126.9600, 37.5550, address="서소문로 99")
    my_route = [(126.9700, 37.5650), (126.9750, 37.5680), (126.9800, 37.5700)]
    their_route = [(126.9650, 37.5500), (126.9600, 37.5550)]
    publish(
        settings,
        "unit-status",
        [
            unit_status("A-MINE-1", "dispatched", 126.9700, 37.5650, kind="ambulance"),
            unit_status("E-THEIRS-1", "dispatched", 126.9650, 37.5500),
        ],
        key="unit_id",
    )
    publish(settings, "incidents", [mine, theirs])
    publish(
        settings,
        "assignments",
        [
            assignment(mine["id"], "A-MINE-1", "assigned", my_route, unit_kind="ambulance"),
            assignment(theirs["id"], "E-THEIRS-1", "assigned", their_route),
        ],
        key="incident_id",
    )
    publish(
        settings,
        "overlays",
        [overlay(mine["id"], 126.98, 37.57), overlay(theirs["id"], 126.96, 37.555)],
        key="incident_id",
    )
    page = await new_page(browser, 430, 900)
    crew = token(settings, Role.CREW, "A-MINE-1")
    await sign_in(page, settings.console_url, crew)
    await page.goto(f"{settings.console_url}/crew")
    await page.wait_for_function(
        "document.getElementById('address').textContent.length > 0", timeout=10000
    )
    await page.wait_for_function("document.getElementById('conn').textContent === 'live'")
    assert "종로 1길 5" in await page.inner_text("#address")
    body = await page.inner_text("body")
    assert "서소문로" not in body and "E-THEIRS-1" not in body
    lines = await page.evaluate(
        """() => { const out = [];
             GT.crew.drawn.eachLayer(l => {
               if (l instanceof L.Polyline && !(l instanceof L.Polygon))
                 out.push(l.getLatLngs().map(p => [p.lng, p.lat])); });
             return out; }"""
    )
    assert lines == [[list(p) for p in my_route]]
    assert await page.locator("#hydrants li").count() == 5
    view = orjson.dumps(await page.evaluate("GT.crew.view")).decode()
    assert theirs["id"] not in view and "E-THEIRS-1" not in view
    await page.wait_for_timeout(300)
    await page.screenshot(path=str(screenshot_path("crew")), full_page=True)
    await page.locator("#status-buttons button[data-status=on_scene]").click()
    await page.wait_for_function(
        "document.getElementById('notice').textContent === 'reported on_scene'"
    )
    reports = await read_until(
        settings.kafka_bootstrap,
        Topics(settings.topic_prefix).unit_status,
        lambda r: any(u["unit_id"] == "A-MINE-1" and u["status"] == "on_scene" for u in r),
    )
    on_scene = [u for u in reports if u["unit_id"] == "A-MINE-1" and u["status"] == "on_scene"]
    assert on_scene[0]["incident_id"] == mine["id"] and on_scene[0]["kind"] == "ambulance"
    await page.wait_for_function(
        "document.querySelector('#status-buttons button.current')?.dataset.status === 'on_scene'",
        timeout=5000,
    )
    assert not page.errors  # type: ignore[attr-defined]


def _headline(text: str) -> dict[str, object]:
    return {"headline": text, "headlines": {"ko": text, "en": text}}


async def test_public_page_shows_an_approved_alert_and_never_a_draft(
    browser: Browser, settings: Settings, console: Process
) -> None:
    steps = gas_leak_alerts("inc-gas-public")
    approved = {**steps["approved"], "id": "alert-public-approved"}
    draft = {**steps["draft"], "id": "alert-public-draft", **_headline("DRAFT-ONLY 초안")}
    publish(settings, "alerts", [approved, draft])
    page = await new_page(browser)
    await page.goto(f"{settings.console_url}/public")
    await page.wait_for_selector("#alerts li[data-id='alert-public-approved']", timeout=10000)
    later_draft = {**steps["draft"], "id": "alert-public-draft-2", **_headline("LATER-DRAFT")}
    publish(settings, "alerts", [later_draft])
    sent = {**steps["sent"], "id": "alert-public-sent", **_headline("가스 누출 2차 안내")}
    publish(settings, "alerts", [sent])
    await page.wait_for_selector("#alerts li[data-id='alert-public-sent']", timeout=5000)
    text = await page.inner_text("#alerts")
    assert approved["message"]["ko"][:20] in text and approved["message"]["en"][:20] in text
    assert "가스 누출 2차 안내" in text
    assert "DRAFT-ONLY" not in text and "LATER-DRAFT" not in text
    assert "010-1234-5678" not in await page.content()
    ids = await page.evaluate("[...GT.public.alerts.keys()].sort()")
    assert ids == ["alert-public-approved", "alert-public-sent"]
    assert await page.evaluate("GT.public.areas.getLayers().length") == 2
    await page.wait_for_timeout(300)
    await page.screenshot(path=str(screenshot_path("public")))
    assert not page.errors  # type: ignore[attr-defined]


async def test_console_with_1000_incidents_and_500_units_applies_a_stream_of_updates(
    browser: Browser, settings: Settings, console: Process
) -> None:
    """A city-sized console takes ≈ 500 updates in ≈ 2 s and lists the 300 most urgent.

    Whether it stays smooth meanwhile (render and frame time per update, against rebuilding
    the list on every update) is measured by ``python -m bench.console_render``, not asserted
    here: a shared machine's frame times say more about its load than about the console.
    """
    box = (126.90, 37.50, 127.06, 37.62)

    def spot(i: int) -> tuple[float, float]:
        return (
            box[0] + (i * 7919 % 1000) / 1000 * (box[2] - box[0]),
            box[1] + (i * 104729 % 1000) / 1000 * (box[3] - box[1]),
        )

    units = [unit_status(f"U-{i:03d}", "available", *spot(i + 5000)) for i in range(500)]
    incidents = [incident(f"inc-load-{i:04d}", *spot(i), priority=1 + i % 5) for i in range(1000)]
    publish(settings, "unit-status", units, key="unit_id")
    publish(settings, "incidents", incidents)
    page = await open_console(browser, settings)
    await page.wait_for_function(
        "GT.console.state.incidents.size === 1000 && GT.console.state.units.size === 500",
        timeout=20000,
    )
    updates = [
        incident(f"inc-load-{i:04d}", *spot(i), priority=1 + (i + 1) % 5, version=2)
        for i in range(0, 1000, 4)
    ]
    moves = [unit_status(f"U-{i:03d}", "en_route", *spot(i + 6000)) for i in range(0, 500, 2)]
    for start in range(0, 250, 25):  # ≈ 500 updates in ≈ 2 s
        publish(settings, "incidents", updates[start : start + 25])
        publish(settings, "unit-status", moves[start : start + 25], key="unit_id")
        await page.wait_for_timeout(200)
    await page.wait_for_function(
        "[...GT.console.state.units.values()].filter(u => u.data.status === 'en_route').length"
        " === 250 && [...GT.console.state.incidents.values()].filter(i => i.version === 2)"
        ".length === 250",
        timeout=20000,
    )
    assert await page.locator("#incidents li.incident").count() == 300  # 300 most urgent
    assert "700 more" in await page.inner_text("#more")
    assert not page.errors  # type: ignore[attr-defined]
