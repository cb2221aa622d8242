"""A patient's emergency room through the real worker: a cardiac-arrest call → an ambulance
is assigned → its crew reports en route, then patient contact from its phone → the worker
recommends an emergency room → the crew chooses another with one tap → the worker confirms
it, and the card and the console's hospital board say so; and a unit on its way to an ER
that reports no beds is diverted (the card names the full ER and why, the board moves the
unit) before a dispatcher sends it elsewhere from the board. Real broker, cache, worker,
console, Chromium."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page

from access import Role
from stack.settings import Settings
from tests.browser.conftest import new_page, sign_in
from tests.browser.live import console_page, rendered
from tests.browser.test_mobile import PHONE
from tests.conftest import Process
from tests.console.conftest import bearer, eventually, publish
from tests.console.console_samples import CITY_HALL, token
from tests.console.hospital_samples import er_status

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.integration]


async def patient_with_a_destination(
    browser: Browser, settings: Settings, http: httpx.AsyncClient, call_id: str
) -> tuple[Page, str]:
    """A cardiac-arrest call through the worker to an assigned ambulance whose crew reported
    patient contact from its phone: the crew's page showing the recommended ER, and the
    unit."""
    call = {
        "id": call_id,
        "received_at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
        "location": {"lon": CITY_HALL[0], "lat": CITY_HALL[1], "accuracy_m": 20},
        "category": "cardiac_arrest",
        "description": "60대 남성 쓰러짐, 호흡 없음",
    }
    dispatcher = bearer(token(settings, Role.DISPATCHER))
    posted = await http.post("/api/calls", json=call, headers=bearer(token(settings, Role.SERVICE)))
    assert posted.status_code == 202

    async def ambulance_order() -> dict[str, Any] | None:
        orders = (await http.get("/api/assignments", headers=dispatcher)).json()
        return next((a for a in orders if a["unit_kind"] == "ambulance"), None)

    order = await eventually(ambulance_order, timeout_s=60)
    unit, incident_id = order["unit_id"], order["incident_id"]
    if order["status"] == "recommended":  # a P1 is assigned at once; others wait for us
        accepted = await http.post(
            f"/api/incidents/{incident_id}/accept", json={"unit_ids": [unit]}, headers=dispatcher
        )
        assert accepted.status_code == 202

    async def assigned() -> bool:
        orders = (await http.get("/api/assignments", headers=dispatcher)).json()
        return any(a["unit_id"] == unit and a["status"] == "assigned" for a in orders)

    await eventually(assigned, timeout_s=30)
    crew = token(settings, Role.CREW, unit)
    # the vehicle's terminal reports it under way (the page needs the unit's own state)
    en_route = {
        "unit_id": unit,
        "at": datetime.now(UTC).isoformat(),
        "kind": "ambulance",
        "status": "en_route",
        "incident_id": incident_id,
        "location": {"lon": CITY_HALL[0] - 0.003, "lat": CITY_HALL[1]},
    }
    reported = await http.post("/api/unit-status", json=en_route, headers=bearer(crew))
    assert reported.status_code == 202
    page = await new_page(browser, *PHONE, touch=True)
    await sign_in(page, settings.console_url, crew)
    await page.goto(f"{settings.console_url}/crew")
    await rendered(page, "document.querySelector('[data-status=en_route].current') !== null")
    # patient contact: the condition and severity, one tap each, then the report
    await page.tap("#patient-open")
    await page.tap("#patient-conditions button[data-value=cardiac_arrest]")
    await page.tap("#patient-severities button[data-value=critical]")
    await page.tap("#patient-report")
    await rendered(page, "!document.getElementById('destination').hidden", 30000)
    assert "recommended" in (await page.locator("#dest-state").text_content() or "")
    return page, unit


@pytest.mark.timeout(240)
async def test_the_crews_choice_is_confirmed_by_the_worker_on_the_card_and_the_board(
    browser: Browser, settings: Settings, worker: Process, console: Process
) -> None:
    dispatcher = bearer(token(settings, Role.DISPATCHER))
    async with httpx.AsyncClient(base_url=settings.console_url, timeout=10) as http:
        page, unit = await patient_with_a_destination(browser, settings, http, "call-er-worker-1")
        first = await page.locator("#dest-name").text_content()
        await page.tap("#dest-other")
        others = page.locator("#dest-ranked li:not(:has(button.current)) button")
        await others.first.wait_for()
        chosen_id = await others.first.evaluate("b => b.parentElement.dataset.hospital")
        chosen_name = await others.first.locator("strong").text_content()
        assert chosen_name and chosen_name != first
        await others.first.tap()
        await rendered(page, "document.getElementById('dest-state').className === 'pending'")
        # the worker's record for the crew's command ends the pending state
        await rendered(page, "document.getElementById('dest-state').className === 'changed'", 30000)
        assert await page.locator("#dest-name").text_content() == chosen_name

        async def coming() -> bool:
            board = (await http.get("/api/hospitals", headers=dispatcher)).json()
            rows = {r["hospital_id"]: r for r in board["hospitals"]}
            return [c["unit_id"] for c in rows[chosen_id]["incoming"]] == [unit]

        await eventually(coming, timeout_s=15)
    assert not page.errors  # type: ignore[attr-defined]


@pytest.mark.timeout(300)
async def test_a_transporting_unit_is_diverted_off_a_full_er_and_a_dispatcher_sends_it_elsewhere(
    browser: Browser, settings: Settings, worker: Process, console: Process
) -> None:
    dispatcher = bearer(token(settings, Role.DISPATCHER))
    async with httpx.AsyncClient(base_url=settings.console_url, timeout=10) as http:
        crew, unit = await patient_with_a_destination(browser, settings, http, "call-er-worker-2")
        view = (await http.get(f"/api/crew/{unit}", headers=dispatcher)).json()
        full_id, full_name = (
            view["destination"]["hospital_id"],
            view["destination"]["hospital_name"],
        )
        assert await crew.locator("#dest-diverted").is_hidden()
        board = await console_page(browser, settings)

        # the crew leaves with the patient; then the ER it is heading to reports no beds: the
        # worker sends the unit elsewhere on its way, and the card says from where and why
        await crew.tap("#status-buttons button[data-status=transporting]")
        await rendered(
            crew, "document.querySelector('[data-status=transporting].current') !== null"
        )
        await rendered(crew, "document.getElementById('dest-eta').textContent.startsWith('ETA')")
        publish(settings, "er-status", [er_status(full_id, 0)], key="hospital_id")
        await rendered(crew, "!document.getElementById('dest-diverted').hidden", 30000)
        notice = await crew.locator("#dest-diverted").text_content() or ""
        assert full_name in notice and "병상 0 보고 reported no beds" in notice
        assert (await crew.locator("#dest-eta").text_content() or "").startswith("ETA")
        now_name = await crew.locator("#dest-name").text_content()
        assert now_name and now_name != full_name
        view = (await http.get(f"/api/crew/{unit}", headers=dispatcher)).json()
        now_id = view["destination"]["hospital_id"]
        coming = f"#hospitals li[data-hospital='{now_id}'] .h-coming"
        marked = f"(document.querySelector({coming!r}) || {{}}).textContent || ''"
        await rendered(board, f"{marked}.includes('← {full_name} 우회')")

        # the dispatcher sends the unit elsewhere from the board: the worker confirms it
        await board.locator(f"{coming} button.unit-link").click()
        chooser = "#detail .dest-chooser"
        await rendered(board, f"!document.querySelector({chooser!r}).hidden")
        others = board.locator(
            f"{chooser} li:not([data-hospital='{now_id}']):not([data-hospital='{full_id}']) button"
        )
        pick_id = await others.first.evaluate("b => b.parentElement.dataset.hospital")
        await others.first.click()
        await board.locator("#confirm button.ok").click()
        state = f"document.querySelector('{chooser} .chooser-state').className"
        await rendered(board, f"{state}.includes('done')", 30000)
        view = (await http.get(f"/api/crew/{unit}", headers=dispatcher)).json()
        assert view["destination"]["hospital_id"] == pick_id
        assert view["destination"]["status"] == "changed"
        # on the crew's card: the dispatcher's choice, no longer a diversion
        await rendered(crew, "document.getElementById('dest-state').className === 'changed'")
        await rendered(crew, "document.getElementById('dest-diverted').hidden")
    assert not crew.errors and not board.errors  # type: ignore[attr-defined]
