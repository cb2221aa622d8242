"""A unit's emergency room from the dispatcher's side and the crew's clock, through the real
broker to a real console and Chromium: the dispatcher chooses a transporting unit's ER from
the incident detail (ranked, keyboard only, confirmed, pending → done or refused), the crew
card counts down to arrival and says when the unit is late, and a diversion (the worker moved
the unit off a full ER) is shown on the crew card and moves the unit on the hospital board."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest
from playwright.async_api import Browser, Page

from access import Role
from geo import load_city
from stack.settings import Settings
from tests.browser.conftest import new_page, screenshot_path, sign_in
from tests.browser.live import console_page, rendered, stream
from tests.browser.test_er_destination import (
    commands_after,
    destination_record,
    emergency_rooms,
    ranked_for,
    send,
    text,
)
from tests.browser.test_mobile import PHONE
from tests.conftest import Process
from tests.console.conftest import bearer
from tests.console.console_samples import assignment, incident, token, unit_status
from tests.console.hospital_samples import refused_choice

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.integration]

CHOOSER = "#detail .dest-chooser"
ETA = "document.getElementById('dest-eta')"


async def going_to(page: Page, unit: str) -> str:
    """The first cell of the unit's row in the incident detail ("A-1 구급 → 병원")."""
    return await text(page, f"#detail tr[data-unit='{unit}'] td:first-child")


def issued(record: dict[str, Any], ago_s: float, **changes: Any) -> dict[str, Any]:
    """``record`` as issued ``ago_s`` seconds ago (with ``changes``)."""
    at = (datetime.now(UTC) - timedelta(seconds=ago_s)).isoformat()
    return {**record, "issued_at": at, **changes}


def left(unit: str, scene: tuple[float, float], ago_s: float) -> dict[str, Any]:
    """The unit's report that it left with its patient ``ago_s`` seconds ago."""
    report = unit_status(unit, "transporting", *scene, kind="ambulance")
    return {**report, "at": (datetime.now(UTC) - timedelta(seconds=ago_s)).isoformat()}


def coming_to(hospital_id: str) -> str:
    """JavaScript: the board's "coming" text of one emergency room."""
    row = f"#hospitals li[data-hospital='{hospital_id}'] .h-coming"
    return f"(document.querySelector({row!r}) || {{}}).textContent || ''"


async def state_is(page: Page, cls: str) -> None:
    """Wait for the chooser's state line to be ``cls`` (pending, done, refused)."""
    await rendered(
        page, f"document.querySelector('{CHOOSER} .chooser-state').classList.contains({cls!r})"
    )


@pytest.mark.timeout(240)
async def test_a_dispatcher_chooses_a_transporting_units_er_from_the_keyboard(
    browser: Browser, settings: Settings, console: Process
) -> None:
    city = load_city(settings.data_dir)
    lons, lats = city.roads.node_lonlats()
    scene = (float(lons[len(lons) // 4]), float(lats[len(lats) // 4]))
    stale_id = emergency_rooms(city)[-1]["hospital_id"]
    ranked = ranked_for(city, scene, stale_id)
    best, other, third = ranked[0], ranked[1], ranked[2]
    unit, inc = "A-DS-1", "inc-er-dispatch"
    with stream(settings) as live:
        live.send("unit-status", [left(unit, scene, 60)])
        live.send("incidents", [incident(inc, *scene, type="cardiac_arrest")])
        order = assignment(inc, unit, "assigned", [scene, scene], unit_kind="ambulance")
        live.send("assignments", [order])
        send(live, "destinations", [destination_record(inc, unit, ranked, best, "accepted", 2)])
        page = await console_page(browser, settings)
        await rendered(page, f"{coming_to(best['hospital_id'])}.includes({unit!r})")
        await page.evaluate(f"GT.console.select({inc!r})")
        opener = page.locator(f"#detail tr[data-unit='{unit}'] button.destination")
        await opener.wait_for()
        assert (await going_to(page, unit)).endswith(best["name"])

        # from the keyboard: open the list, its first ER has the focus
        await opener.focus()
        await page.keyboard.press("Enter")
        items = page.locator(f"{CHOOSER} .chooser-ranked li")
        await rendered(page, f"document.activeElement.closest('{CHOOSER} li') !== null")
        assert await items.count() == len(ranked)
        first = await items.first.text_content() or ""
        assert best["name"] in first and "PCI 가능" in first
        assert f"주행 {max(1, round(best['drive_s'] / 60))}분" in first and "병상 5" in first
        stale_item = page.locator(f"{CHOOSER} li[data-hospital='{stale_id}']")
        assert "stale" in (await stale_item.locator(".stale-flag").text_content() or "")
        assert await page.locator(f"{CHOOSER} .stale-flag:not(:empty)").count() == 1
        current = page.locator(f"{CHOOSER} button[aria-current='true']")
        assert await current.count() == 1 and best["name"] in (await current.text_content() or "")

        # Down to the third ER and Up to the second (Tab goes there too), Enter, then confirm
        # in the dialog with a reason
        focused = "document.activeElement.closest('li').dataset.hospital"
        await page.keyboard.press("ArrowDown")
        await page.keyboard.press("ArrowDown")
        assert await page.evaluate(focused) == third["hospital_id"]
        await page.keyboard.press("ArrowUp")
        assert await page.evaluate(focused) == other["hospital_id"]
        await page.keyboard.press("Shift+Tab")
        await page.keyboard.press("Tab")
        assert await page.evaluate(focused) == other["hospital_id"]
        await page.keyboard.press("Enter")
        await rendered(page, "document.getElementById('confirm').open")
        assert other["name"] in await text(page, "#confirm .message")
        await page.keyboard.type("병원 직접 통화로 수용 확인")
        await page.keyboard.press("Tab")
        await page.keyboard.press("Tab")
        assert await page.evaluate("document.activeElement.classList.contains('ok')")
        await page.keyboard.press("Enter")
        await state_is(page, "pending")
        assert other["name"] in await text(page, f"{CHOOSER} .chooser-state")
        command = (await commands_after(settings, 1))[-1]
        assert command.action.value == "choose_destination" and command.role == "dispatcher"
        assert (command.unit_id, command.hospital_id, command.incident_id) == (
            unit,
            other["hospital_id"],
            inc,
        )
        assert command.reason == "병원 직접 통화로 수용 확인"
        async with httpx.AsyncClient(base_url=settings.console_url, timeout=10) as http:
            trail = await http.get("/api/audit", headers=bearer(token(settings, Role.SUPERVISOR)))
        entry = next(a for a in trail.json() if a["command_id"] == command.id)
        assert entry["role"] == "dispatcher" and other["hospital_id"] in entry["target"]

        # the worker's record answering the command: done, the row and the board follow
        changed = destination_record(inc, unit, ranked, other, "changed", 3, command.id)
        send(live, "destinations", [changed])
        await state_is(page, "done")
        await rendered(page, f"{coming_to(other['hospital_id'])}.includes({unit!r})")
        assert unit not in await page.evaluate(coming_to(best["hospital_id"]))
        assert (await going_to(page, unit)).endswith(other["name"])
        assert other["name"] in (await current.text_content() or "")
        await page.wait_for_timeout(300)  # let the map canvas paint before the picture
        await page.screenshot(path=str(screenshot_path("dispatcher-destination")))

        # a dialog cancelled sends nothing; a choice the worker refuses says why, and the unit
        # stays where it was going
        third_button = page.locator(f"{CHOOSER} li[data-hospital='{third['hospital_id']}'] button")
        await third_button.click()
        await rendered(page, "document.getElementById('confirm').open")
        await page.keyboard.press("Escape")
        await rendered(page, "!document.getElementById('confirm').open")
        await third_button.click()
        await rendered(page, "document.getElementById('confirm').open")
        await page.locator("#confirm button.ok").click()
        await state_is(page, "pending")
        refused = (await commands_after(settings, 2))[-1]
        assert refused.hospital_id == third["hospital_id"]
        why = f"unit {unit} handed its patient over: too late to choose another"
        letter = refused_choice(orjson.loads(refused.model_dump_json()), why)
        live.producer.send(live.topics.deadletter, value=orjson.dumps(letter))
        live.producer.flush()
        await state_is(page, "refused")
        assert why in await text(page, f"{CHOOSER} .chooser-state")
        assert (await going_to(page, unit)).endswith(other["name"])

        # Esc closes the list and gives the focus back to the unit's button
        await page.locator(f"{CHOOSER} .chooser-ranked button").first.focus()
        await page.keyboard.press("Escape")
        await rendered(page, f"document.querySelector({CHOOSER!r}).hidden")
        assert await page.evaluate("document.activeElement.classList.contains('destination')")

        # the unit on the hospital board opens its incident with the same list
        await page.evaluate("GT.console.select(null)")
        await rendered(page, "document.getElementById('detail').hidden")
        link = f"#hospitals li[data-hospital='{other['hospital_id']}'] button.unit-link"
        await page.locator(link).click()
        await rendered(page, f"!document.querySelector({CHOOSER!r}).hidden")
        assert unit in await text(page, f"{CHOOSER} .chooser-title")
    assert len(await commands_after(settings, 2)) == 2  # the cancelled dialog sent nothing
    assert not page.errors  # type: ignore[attr-defined]


@pytest.mark.timeout(240)
async def test_a_dispatcher_without_a_patient_destination_has_nothing_to_choose(
    browser: Browser, settings: Settings, console: Process
) -> None:
    unit, inc = "E-DS-2", "inc-er-engine"
    scene = (126.9780, 37.5665)
    with stream(settings) as live:
        live.send("unit-status", [unit_status(unit, "on_scene", *scene)])
        live.send("incidents", [incident(inc, *scene)])
        live.send("assignments", [assignment(inc, unit, "assigned", [scene, scene])])
        page = await console_page(browser, settings)
        await page.evaluate(f"GT.console.select({inc!r})")
        await page.locator(f"#detail tr[data-unit='{unit}']").wait_for()
        assert await page.locator(f"#detail tr[data-unit='{unit}'] button.destination").is_hidden()
        assert await page.locator(CHOOSER).is_hidden()
    assert not page.errors  # type: ignore[attr-defined]


@pytest.mark.timeout(240)
async def test_the_crew_card_counts_down_to_arrival_and_says_when_it_is_overdue(
    browser: Browser, settings: Settings, console: Process
) -> None:
    city = load_city(settings.data_dir)
    lons, lats = city.roads.node_lonlats()
    scene = (float(lons[len(lons) // 5]), float(lats[len(lats) // 5]))
    ranked = ranked_for(city, scene, stale_id="")
    best = {**ranked[0], "drive_s": 600.0}
    unit, inc = "A-DS-3", "inc-er-clock"
    # the patient's record came on scene 10 min ago; the unit left 4 min ago (and has reported
    # its position since): 6 min to go
    record = issued(destination_record(inc, unit, ranked, best, "accepted", 2), 600)
    reports = [left(unit, scene, 240), left(unit, scene, 5)]
    made = datetime.now(UTC)  # each page's clock starts here: the minutes left do not hang
    with stream(settings) as live:  # on how long the machine takes to get to a page
        live.send("unit-status", reports)
        live.send("incidents", [incident(inc, *scene, type="cardiac_arrest")])
        live.send("assignments", [assignment(inc, unit, "assigned", [scene, scene])])
        send(live, "destinations", [record])
        page = await new_page(browser, *PHONE, touch=True)
        await page.clock.install(time=made)
        await sign_in(page, settings.console_url, token(settings, Role.CREW, unit))
        await page.goto(f"{settings.console_url}/crew")
        await rendered(page, "document.getElementById('dest-eta').textContent.startsWith('ETA')")
        assert (await text(page, "#dest-eta")).startswith("ETA 6분 · ")
        await page.clock.fast_forward("03:00")
        await rendered(page, f"{ETA}.textContent.startsWith('ETA 3분')")
        await page.clock.fast_forward("03:30")  # 30 s past the estimate
        await rendered(page, "document.getElementById('dest-eta').className === 'arriving'")
        assert (await text(page, "#dest-eta")).startswith("곧 도착 arriving · ETA ")
        await page.clock.fast_forward("05:00")
        await rendered(page, "document.getElementById('dest-eta').className === 'overdue'")
        assert (await text(page, "#dest-eta")).startswith("도착 지연 overdue 5분 · ETA ")
        assert "-" not in await text(page, "#dest-eta")
        # the hospital board counts down the same way
        board = await new_page(browser, 1440, 900)
        await board.clock.install(time=made)
        await sign_in(board, settings.console_url, token(settings, Role.DISPATCHER))
        await board.goto(f"{settings.console_url}/")
        await rendered(board, f"{coming_to(best['hospital_id'])}.includes({unit + ' 6분'!r})")
        assert not board.errors  # type: ignore[attr-defined]
    assert not page.errors  # type: ignore[attr-defined]


@pytest.mark.timeout(240)
async def test_a_diversion_is_said_in_red_on_the_crew_card_and_moves_the_unit_on_the_board(
    browser: Browser, settings: Settings, console: Process
) -> None:
    city = load_city(settings.data_dir)
    lons, lats = city.roads.node_lonlats()
    scene = (float(lons[len(lons) // 6]), float(lats[len(lats) // 6]))
    ranked = ranked_for(city, scene, stale_id="")
    full, then = ranked[0], ranked[1]
    unit, inc = "A-DS-4", "inc-er-divert"
    first = issued(destination_record(inc, unit, ranked, full, "accepted", 2), 120)
    because = f"{full['name']} 병상 소진 보고 · 재추천 · PCI 가능"
    diverted = destination_record(inc, unit, ranked, then, "recommended", 3)
    diverted["reason"] = because
    with stream(settings) as live:
        live.send("unit-status", [left(unit, scene, 100)])
        live.send("incidents", [incident(inc, *scene, type="cardiac_arrest")])
        live.send("assignments", [assignment(inc, unit, "assigned", [scene, scene])])
        send(live, "destinations", [first])
        crew = await new_page(browser, *PHONE, touch=True)
        await sign_in(crew, settings.console_url, token(settings, Role.CREW, unit))
        await crew.goto(f"{settings.console_url}/crew")
        await rendered(
            crew, f"document.getElementById('dest-name').textContent === {full['name']!r}"
        )
        assert await crew.locator("#dest-diverted").is_hidden()
        board = await console_page(browser, settings)
        await rendered(board, f"{coming_to(full['hospital_id'])}.includes({unit!r})")

        send(live, "destinations", [diverted])
        await rendered(crew, "!document.getElementById('dest-diverted').hidden")
        notice = await text(crew, "#dest-diverted")
        assert full["name"] in notice and because in notice and "Diverted" in notice
        assert await text(crew, "#dest-name") == then["name"]
        assert await crew.locator("#dest-diverted").get_attribute("role") == "alert"
        colour = "getComputedStyle(document.getElementById('dest-diverted')).backgroundColor"
        assert await crew.evaluate(colour) == await crew.evaluate(
            "getComputedStyle(document.getElementById('reroute')).backgroundColor"
        )  # the reroute notice's red
        await rendered(board, f"{coming_to(then['hospital_id'])}.includes({unit!r})")
        assert unit not in await board.evaluate(coming_to(full["hospital_id"]))
        assert f"← {full['name']} 우회" in await board.evaluate(coming_to(then["hospital_id"]))
        await crew.wait_for_timeout(300)  # let the map canvas paint before the picture
        await crew.screenshot(path=str(screenshot_path("crew-destination")))

        # the crew accepts the new ER: the notice stays (it is still why they go there)
        await crew.tap("#dest-accept")
        accepted = (await commands_after(settings, 1))[-1]
        answer = destination_record(inc, unit, ranked, then, "accepted", 4, accepted.id)
        send(live, "destinations", [answer])
        await rendered(crew, "document.getElementById('dest-state').className === 'accepted'")
        assert full["name"] in await text(crew, "#dest-diverted")
        # a fresh console gets the diversion in its snapshot, not only live
        fresh = await console_page(browser, settings)
        shown = f"{coming_to(then['hospital_id'])}.includes('← ')"
        await rendered(fresh, shown)
    assert not crew.errors and not board.errors and not fresh.errors  # type: ignore[attr-defined]
