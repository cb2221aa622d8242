"""Every action has a visible outcome, and destructive ones ask first.

Real console process, broker, cache and Chromium. No worker runs here: the test publishes
what the worker (or a unit's AVL) would, after the dispatcher's command, so each outcome,
done, refused or not confirmed, is produced on purpose.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import orjson
import pytest
from playwright.async_api import Browser, Page, Request

from alerts import approve
from alerts.model import Tier
from stack.settings import Settings
from streams.topics import Topics
from tests.browser.live import console_page, rendered, stream
from tests.conftest import Process
from tests.console.console_samples import (
    assignment,
    gas_leak_alerts,
    gas_leak_draft,
    incident,
    now,
    unit_status,
)
from tests.kafka_io import read_until

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.integration]

ROUTE = [(126.9740, 37.5610), (126.9780, 37.5630), (126.9820, 37.5650)]
STATION = (126.9740, 37.5610)


LOOKUPS = frozenset({"api/places"})
"""POSTs that only ask (the place names of many points at once): they change nothing."""


def posts(page: Page) -> list[str]:
    """Every action the page POSTs, as ``path``, recorded from now on (lookups left out: the
    page asks for place names whenever incidents arrive, whatever the dispatcher does)."""
    seen: list[str] = []

    def record(request: Request) -> None:
        path = request.url.split("/", 3)[3]
        if request.method == "POST" and path not in LOOKUPS:
            seen.append(path)

    page.on("request", record)
    return seen


def outcome(key: str, value: str, state: str) -> str:
    return f"#outcomes li[data-{key}='{value}'][data-state={state}]"


@pytest.mark.timeout(120)
async def test_cancelling_a_prompt_changes_nothing_and_return_to_service_exists(
    browser: Browser, settings: Settings, console: Process
) -> None:
    inc = incident("inc-guard-1", 126.9820, 37.5650, priority=2, status="dispatched")
    alert = {**gas_leak_alerts("inc-guard-1")["sent"], "id": "alert-guard-1"}
    with stream(settings) as live:
        live.send("unit-status", [unit_status("E-GUARD-1", "en_route", *STATION)])
        live.send("incidents", [inc])
        live.send("assignments", [assignment(inc["id"], "E-GUARD-1", "assigned", ROUTE)])
        live.send("alerts", [alert])
        page = await console_page(browser, settings)
        sent = posts(page)
        await page.locator("#incidents li.incident[data-id='inc-guard-1']").click()
        unit_row = page.locator("#detail tr[data-unit='E-GUARD-1']")
        await unit_row.locator("button.oos").wait_for()
        assert await unit_row.locator("button.in-service").is_hidden()

        await page.locator("#detail button.close").click()  # Close… then Cancel
        await page.locator("#confirm[open]").wait_for()
        await page.locator("#confirm button.cancel").click()
        await page.locator("#confirm").wait_for(state="hidden")

        await unit_row.locator(
            "button.oos"
        ).click()  # Out of service… : OK with no reason, then Esc
        await page.locator("#confirm[open]").wait_for()
        await page.locator("#confirm button.ok").click()
        assert await page.locator("#confirm[open]").count() == 1  # a reason is required
        await page.keyboard.press("Escape")
        await page.locator("#confirm").wait_for(state="hidden")

        card = page.locator("#live-alerts li[data-id='alert-guard-1']")
        await card.locator("button.cancel").click()  # Cancel alert… then Cancel
        await page.locator("#confirm button.cancel").click()
        await page.locator("#confirm").wait_for(state="hidden")

        await page.locator("#detail button.resolve").click()  # an action that asks nothing
        await rendered(page, "document.querySelector('#outcomes li[data-incident]') !== null")
        await page.locator(outcome("incident", "inc-guard-1", "pending")).wait_for()
        assert sent == ["api/incidents/inc-guard-1/resolve"]  # nothing before it was sent
        assert "처리 완료" not in await page.inner_text("#detail h3")
        assert await page.evaluate("GT.console.state.units.get('E-GUARD-1').data.status") == (
            "en_route"
        )
        assert await page.locator("#live-alerts li[data-id='alert-guard-1']").count() == 1

        await unit_row.locator("button.oos").click()  # confirmed this time, with a reason
        await page.fill("#confirm input[name=reason]", "pump failure 펌프 고장")
        await page.locator("#confirm button.ok").click()
        await page.locator("#outcomes li.done", has_text="out of service E-GUARD-1").wait_for()
        await unit_row.locator("button.in-service").click()  # return to service
        await page.locator("#outcomes li.done", has_text="return to service E-GUARD-1").wait_for()
        assert await unit_row.locator("button.oos").is_visible()
    assert sent == [
        "api/incidents/inc-guard-1/resolve",
        "api/units/E-GUARD-1/out-of-service",
        "api/units/E-GUARD-1/in-service",
    ]
    commands = await read_until(
        settings.kafka_bootstrap, Topics(settings.topic_prefix).commands, lambda r: len(r) >= 1
    )
    assert [c["action"] for c in commands] == ["resolve_incident"]
    assert not page.errors  # type: ignore[attr-defined]


@pytest.mark.timeout(120)
async def test_a_refused_accept_is_shown_as_refused_and_silence_as_not_confirmed(
    browser: Browser, settings: Settings, console: Process
) -> None:
    taken = incident("inc-taken", 126.9820, 37.5650, priority=2, address="을지로 30")
    silent = incident("inc-silent", 126.9700, 37.5700, priority=2, address="종로 1")
    with stream(settings) as live:
        live.send(
            "unit-status",
            [
                unit_status("E-TAKEN-1", "available", *STATION),
                unit_status("E-SILENT-1", "available", *STATION),
            ],
        )
        live.send("incidents", [taken, silent])
        live.send(
            "assignments",
            [
                assignment("inc-taken", "E-TAKEN-1", "recommended", ROUTE),
                assignment("inc-silent", "E-SILENT-1", "recommended", ROUTE),
            ],
        )
        page = await console_page(browser, settings)
        await page.locator("#incidents li.incident[data-id='inc-taken']").click()
        await page.locator("#detail button.accept:not([disabled])").click()
        await page.locator(outcome("incident", "inc-taken", "pending")).wait_for()
        # meanwhile the unit went to another incident: the worker will not assign it
        other = unit_status("E-TAKEN-1", "dispatched", *STATION, incident_id="inc-elsewhere")
        live.send("unit-status", [other])
        refused = page.locator(outcome("incident", "inc-taken", "refused"))
        await refused.wait_for()
        text = await refused.inner_text()
        await rendered(page, "document.querySelector('#detail button.accept').disabled")
        note = await page.inner_text("#detail .rec-note")
        first = await page.get_attribute("#incidents li.incident", "data-id")

        await page.evaluate("GT.actions.settings.timeoutS = 2")
        await page.locator("#incidents li.incident[data-id='inc-silent']").click()
        await page.locator("#detail button.accept:not([disabled])").click()
        unconfirmed = page.locator(outcome("incident", "inc-silent", "unconfirmed"))
        await unconfirmed.wait_for(timeout=8000)
        silence = await unconfirmed.inner_text()
    assert "refused: E-TAKEN-1 is" in text and "inc-elsewhere" in text and "not assigned" in text
    assert "out of date" in note
    assert first in ("inc-taken", "inc-silent")  # still awaiting dispatch, at the top
    assert "not confirmed — no result in 2 s" in silence
    assert not page.errors  # type: ignore[attr-defined]


def _tiered(alert_id: str, tier: Tier, minutes_ago: float) -> Any:
    """A real draft (alerts package) at ``tier``, issued ``minutes_ago``."""
    draft = gas_leak_draft("inc-alerts-1")
    severity = {Tier.CRITICAL: "Extreme", Tier.EMERGENCY: "Severe", Tier.SAFETY: "Moderate"}[tier]
    return dataclasses.replace(
        draft,
        id=alert_id,
        tier=tier,
        severity=severity,
        approvals_required=2 if tier is Tier.CRITICAL else 1,
        issued_at=now() - timedelta(minutes=minutes_ago),
    )


def _json(alert: Any) -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads(orjson.dumps(alert.to_dict()))
    return data


@pytest.mark.timeout(120)
async def test_a_critical_alert_shows_1_of_2_approvals_and_sent_alerts_are_pinned(
    browser: Browser, settings: Settings, console: Process
) -> None:
    steps = gas_leak_alerts("inc-alerts-1")
    critical = approve(_tiered("alert-critical", Tier.CRITICAL, 1), "kim", now())
    emergency = _tiered("alert-emergency", Tier.EMERGENCY, 3)
    safety = _tiered("alert-safety", Tier.SAFETY, 9)  # waiting longest
    sent = {**steps["sent"], "id": "alert-sent"}
    with stream(settings) as live:
        live.send("alerts", [_json(safety), _json(emergency), _json(critical), sent])
        page = await console_page(browser, settings)
        await rendered(page, "document.querySelectorAll('#alerts li.alert').length === 3")
        order = await page.evaluate(
            "[...document.querySelectorAll('#alerts li')].map(l => l.dataset.id)"
        )
        card = page.locator("#alerts li[data-id='alert-critical']")
        head = await card.locator(".alert-head").inner_text()
        pinned = page.locator("#live-alerts li[data-id='alert-sent']")
        pinned_buttons = [
            await pinned.locator(f"button.{b}").is_visible() for b in ("all-clear", "cancel")
        ]
        await card.locator("button.approve").click()
        await page.locator(outcome("alert", "alert-critical", "pending")).wait_for()
        second = approve(critical, "lee", now())  # as the worker records the second approval
        live.send("alerts", [_json(second)])
        await page.locator(outcome("alert", "alert-critical", "done")).wait_for()
        await page.locator("#live-alerts li[data-id='alert-critical']").wait_for()
    assert order == ["alert-critical", "alert-emergency", "alert-safety"]
    assert "위급" in head and "1 of 2 approvals" in head and "Extreme" not in head
    assert pinned_buttons == [True, True]
    assert not page.errors  # type: ignore[attr-defined]


@pytest.mark.timeout(120)
async def test_a_refused_accept_offers_the_fresh_recommendation_in_one_click(
    browser: Browser, settings: Settings, console: Process
) -> None:
    inc = incident("inc-fresh", 126.9820, 37.5650, priority=1, address="을지로 40")
    commands = Topics(settings.topic_prefix).commands
    with stream(settings) as live:
        live.send(
            "unit-status",
            [
                unit_status("E-STALE-1", "available", *STATION),
                unit_status("E-FRESH-1", "available", *STATION),
            ],
        )
        live.send("incidents", [inc])
        live.send("assignments", [assignment("inc-fresh", "E-STALE-1", "recommended", ROUTE)])
        page = await console_page(browser, settings)
        await page.locator("#incidents li.incident[data-id='inc-fresh']").click()
        accept = page.locator("#detail button.accept:not([disabled])")
        assert "E-STALE-1" in await accept.inner_text()  # says which units it sends
        await accept.click()
        first = await read_until(settings.kafka_bootstrap, commands, lambda r: len(r) >= 1)
        # as the worker answers an accept of a unit it holds busy: that order refused on the
        # command's own record, and the incident planned again with the fleet as it is now
        live.send(
            "unit-status",
            [unit_status("E-STALE-1", "dispatched", *STATION, incident_id="inc-other")],
        )
        refused_record = assignment(
            "inc-fresh",
            "E-STALE-1",
            "cancelled",
            ROUTE,
            command_id=first[0]["id"],
            reason="refused: unit E-STALE-1 is dispatched (assigned to inc-other)",
        )
        live.send("assignments", [refused_record])
        refused = page.locator(outcome("incident", "inc-fresh", "refused"))
        await refused.wait_for()
        waiting = await refused.inner_text()
        accept_disabled = await page.evaluate(
            "document.querySelector('#detail button.accept').disabled"
        )
        live.send("assignments", [assignment("inc-fresh", "E-FRESH-1", "recommended", ROUTE)])
        offer = refused.locator("button.offer")
        await offer.wait_for()
        offered = await offer.inner_text()
        detail_accept = await page.locator("#detail button.accept").inner_text()
        await offer.click()
        await page.locator(outcome("incident", "inc-fresh", "pending")).wait_for()
        second = await read_until(settings.kafka_bootstrap, commands, lambda r: len(r) >= 2)
        live.send(
            "assignments",
            [assignment("inc-fresh", "E-FRESH-1", "assigned", ROUTE, command_id=second[1]["id"])],
        )
        await page.locator(outcome("incident", "inc-fresh", "done")).wait_for()
        await offer.wait_for(state="hidden")  # a unit is on its way: nothing left to offer
        settled = await refused.inner_text()
    assert "refused" in waiting and "E-STALE-1" in waiting and "inc-other" in waiting
    assert "waiting for a fresh recommendation" in waiting
    assert "waiting" not in settled
    assert accept_disabled is True  # nothing left to accept until the fresh one comes
    assert "E-FRESH-1" in offered and "E-STALE-1" not in offered
    assert "E-FRESH-1" in detail_accept and "E-STALE-1" not in detail_accept
    assert [(c["action"], c["unit_ids"]) for c in second] == [
        ("accept_recommendation", ["E-STALE-1"]),
        ("accept_recommendation", ["E-FRESH-1"]),
    ]
    assert not page.errors  # type: ignore[attr-defined]


@pytest.mark.timeout(120)
async def test_a_unit_ordered_to_another_incident_marks_its_recommendation_out_of_date(
    browser: Browser, settings: Settings, console: Process
) -> None:
    near = incident("inc-near", 126.9820, 37.5650, priority=1, address="을지로 50")
    other = incident("inc-near-2", 126.9825, 37.5652, priority=2, address="을지로 52")
    commands = Topics(settings.topic_prefix).commands
    with stream(settings) as live:
        live.send("incidents", [near, other])
        live.send(
            "assignments",
            [
                assignment("inc-near", "E-BOTH-1", "recommended", ROUTE),
                assignment("inc-near", "A-NEAR-1", "recommended", ROUTE),
                assignment("inc-near-2", "E-BOTH-1", "recommended", ROUTE),
            ],
        )
        page = await console_page(browser, settings)
        await page.locator("#incidents li.incident[data-id='inc-near']").click()
        accept = page.locator("#detail button.accept")
        await rendered(page, "document.querySelector('#detail button.accept') !== null")
        before = await accept.inner_text()
        # the same unit is sent to the other incident (no unit report yet: only the order)
        live.send("assignments", [assignment("inc-near-2", "E-BOTH-1", "assigned", ROUTE)])
        stale = page.locator("#detail tr[data-unit='E-BOTH-1'] td.stale")
        await stale.wait_for()
        note = await page.inner_text("#detail .rec-note")
        after = await accept.inner_text()
        await accept.click()
        sent = await read_until(settings.kafka_bootstrap, commands, lambda r: len(r) >= 1)
        # once the unit reports itself available again, it may go
        live.send("unit-status", [unit_status("E-BOTH-1", "available", *STATION)])
        await stale.wait_for(state="detached")
    assert "E-BOTH-1" in before and "A-NEAR-1" in before
    assert "out of date" in note and "E-BOTH-1 is assigned to inc-near-2" in note
    assert "A-NEAR-1" in after and "E-BOTH-1" not in after
    assert [(c["action"], c["unit_ids"]) for c in sent] == [("accept_recommendation", ["A-NEAR-1"])]
    assert not page.errors  # type: ignore[attr-defined]
