"""The alert queue a dispatcher can read, and a supervisor's silence, in a real headless
Chromium against the real broker, cache and console.

Drafts are the alerts package's own records (with the policy's ``why``), produced to the
alerts topic as the worker would; the silence goes out as a real command on the commands topic
(the worker's enforcement of it is tested on the real worker in tests/integration).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
import pytest
from playwright.async_api import Browser, Route

from access import Role
from stack.settings import Settings
from streams.topics import Topics
from tests.browser.conftest import new_page, screenshot_path, sign_in
from tests.browser.live import console_page, rendered, stream
from tests.conftest import Process
from tests.console.conftest import bearer
from tests.console.console_samples import gas_leak_alerts, token
from tests.kafka_io import produce, read_until

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.integration]

MAPO = [{"code": "11440", "name": "마포구", "level": "gu"}]


def draft(alert_id: str, incident_id: str, **changes: Any) -> dict[str, Any]:
    """A gas-leak draft of the alerts package, renamed (and, for other groups, moved)."""
    record = gas_leak_alerts(incident_id)["draft"]
    return {**record, "id": alert_id, **changes}


def queue() -> list[dict[str, Any]]:
    """Two gas drafts over 중구 (one updated twice, folding a second incident), one flood draft
    over 마포구 and one gas draft over 마포구: three groups."""
    jung_1 = draft("alert-q-gas-1", "inc-q-1")
    jung_1_v3 = {
        **jung_1,
        "version": 3,
        "incident_ids": ["inc-q-1", "inc-q-1b"],
        "why": {**jung_1["why"], "evidence": "4 calls, 2 sensor alarms, 0 camera detections"},
    }
    jung_2 = draft("alert-q-gas-2", "inc-q-2")
    flood = draft(
        "alert-q-flood-1",
        "inc-q-3",
        hazard="flood",
        districts=MAPO,
        headline="홍수 — 저지대 침수 우려",
        message={
            "ko": "[서울특별시] 마포구 하천 수위 위험. 저지대 주민은 높은 곳으로 대피 바랍니다.",
            "en": "[Seoul] River level dangerous in Mapo-gu: move to high ground.",
        },
        why={
            "rule": "flood.water_level",
            "reasons": "수위계 경보 위험 수위 초과",
            "evidence": "0 calls, 2 sensor alarms, 0 camera detections",
        },
    )
    mapo_gas = draft("alert-q-gas-3", "inc-q-4", districts=MAPO)
    return [jung_1, jung_2, flood, mapo_gas, jung_1_v3]


async def test_drafts_are_grouped_by_hazard_and_area_each_saying_why(
    browser: Browser, settings: Settings, console: Process
) -> None:
    page = await console_page(browser, settings)
    with stream(settings) as live:
        live.send("alerts", queue())
        await rendered(page, "document.querySelectorAll('#alerts li.alert').length === 4")
        await rendered(page, "document.querySelectorAll('#alerts li.group-first').length === 3")
    cards = await page.evaluate(
        """() => [...document.querySelectorAll('#alerts li.alert')].map(a =>
             [a.dataset.group, a.dataset.id, !a.querySelector('.group-head').hidden])"""
    )
    by_key: dict[str, list[str]] = {}
    for key, alert_id, _ in cards:
        by_key.setdefault(key, []).append(alert_id)
    keys = [key for key, _, _ in cards]
    assert keys == sorted(keys, key=keys.index)  # a group's cards are together
    assert [head for _, _, head in cards] == [
        i == 0 or keys[i - 1] != key for i, key in enumerate(keys)
    ]  # each group headed once, on its first card
    by_key = {k: sorted(v) for k, v in by_key.items()}
    assert by_key == {
        "gas|중구": ["alert-q-gas-1", "alert-q-gas-2"],
        "flood|마포구": ["alert-q-flood-1"],
        "gas|마포구": ["alert-q-gas-3"],
    }
    updated = page.locator("#alerts li.alert[data-id='alert-q-gas-1']")
    assert await updated.count() == 1  # its updates folded into the one card
    text = await updated.inner_text()
    assert "gas_leak.measured_release" in text and "4 calls, 2 sensor alarms" in text
    assert "사건 2건" in text and "갱신 2회" in text
    flood = await page.inner_text("#alerts li.alert[data-group='flood|마포구']")
    assert "침수" in flood and "flood.water_level" in flood and "수위계 경보" in flood
    assert await page.locator("#alerts button.silence").count() == 0  # a dispatcher's view
    await page.wait_for_timeout(300)
    await page.screenshot(path=str(screenshot_path("alert-queue-grouped")))
    assert not page.errors  # type: ignore[attr-defined]


async def test_a_supervisor_silences_a_group_and_sees_what_it_suppressed(
    browser: Browser, settings: Settings, console: Process
) -> None:
    topics = Topics(settings.topic_prefix)
    page = await console_page(browser, settings, role=Role.SUPERVISOR)
    with stream(settings) as live:
        live.send("alerts", queue())
        group = page.locator("#alerts li.group-first[data-group='gas|중구']")
        await group.wait_for()
        await group.locator("button.silence").click()
        dialog = page.locator("#silence-dialog")
        await dialog.locator("select[name=duration]").select_option("7200")
        await dialog.locator("input[name=reason]").fill("가스 배관 공사 점검 중 (도시가스 확인)")
        await dialog.locator("button.ok").click()
        (command,) = await read_until(settings.kafka_bootstrap, topics.commands, bool)
        assert command["action"] == "silence_alerts" and command["role"] == "supervisor"
        assert command["hazard"] == "gas" and command["duration_s"] == 7200
        assert command["reason"] == "가스 배관 공사 점검 중 (도시가스 확인)"
        assert command["area"]["type"] == "MultiPolygon"
        assert len(command["area"]["coordinates"]) == 2  # both drafts' areas
        row = page.locator(f"#silences li.silence[data-id='{command['id']}']")
        await row.wait_for(timeout=10000)
        assert "중구" in await row.inner_text()
        suppressed = {
            **draft("alert-q-gas-5", "inc-q-5"),
            "status": "cancelled",
            "public_action": "drop",
            "silenced_by": command["id"],
            "headline": "가스 누출 — 보류됨",
        }
        live.send("alerts", [suppressed])
        await rendered(
            page,
            f"document.querySelector(\"#silences li[data-id='{command['id']}'] .suppressed\")"
            "?.textContent.includes('1건')",
        )
        assert "가스 누출 — 보류됨" in await row.inner_text()
        await page.screenshot(path=str(screenshot_path("alert-silence")))
        async with httpx.AsyncClient(base_url=settings.console_url, timeout=10) as http:
            audit = (
                await http.get("/api/audit", headers=bearer(token(settings, Role.SUPERVISOR)))
            ).json()
        assert any(
            a["action"] == "silence_alerts" and a["command_id"] == command["id"] for a in audit
        )
        await row.locator("button.lift").click()
        await page.locator("#confirm button.ok").click()
        commands = await read_until(
            settings.kafka_bootstrap, topics.commands, lambda r: len(r) >= 2
        )
        assert commands[1]["action"] == "lift_silence"
        assert commands[1]["silence_id"] == command["id"]
        await row.wait_for(state="detached", timeout=10000)
    assert not page.errors  # type: ignore[attr-defined]


async def test_drafts_shown_before_the_console_knows_its_supervisor_get_the_silence_offer(
    browser: Browser, settings: Settings, console: Process
) -> None:
    """Who is signed in (``/api/me``) may answer after the drafts arrive (held here until they
    are on screen, as a loaded console delays it): their groups offer the silence once it does."""
    who = asyncio.Event()

    async def hold(route: Route) -> None:
        await who.wait()
        await route.continue_()

    page = await new_page(browser)
    await page.route("**/api/me", hold)
    await sign_in(page, settings.console_url, token(settings, Role.SUPERVISOR))
    with stream(settings) as live:
        live.send("alerts", queue())
        await page.goto(f"{settings.console_url}/")
        await rendered(page, "document.querySelectorAll('#alerts li.group-first').length === 3")
        assert await page.evaluate("GT.console.role") == ""  # not known yet
        assert await page.locator("#alerts button.silence").count() == 0
        who.set()
        group = page.locator("#alerts li.group-first[data-group='flood|마포구']")
        await group.locator("button.silence").wait_for(timeout=10000)
    assert await page.locator("#alerts li.group-first button.silence").count() == 3
    assert not page.errors  # type: ignore[attr-defined]


async def test_a_dispatcher_cannot_silence_and_a_refused_silence_shows_refused(
    browser: Browser, settings: Settings, console: Process
) -> None:
    topics = Topics(settings.topic_prefix)
    area = gas_leak_alerts("inc-q-area")["draft"]["area"]
    body = {"hazard": "gas", "area": area, "duration_s": 600, "reason": "점검"}
    async with httpx.AsyncClient(base_url=settings.console_url, timeout=10) as http:
        as_dispatcher = bearer(token(settings, Role.DISPATCHER))
        refused = await http.post("/api/silences", json=body, headers=as_dispatcher)
        assert refused.status_code == 403
        as_supervisor = bearer(token(settings, Role.SUPERVISOR))
        no_reason = await http.post(
            "/api/silences", json={**body, "reason": ""}, headers=as_supervisor
        )
        assert no_reason.status_code == 422 and "reason" in no_reason.json()["detail"]
    page = await console_page(browser, settings, role=Role.SUPERVISOR)
    with stream(settings) as live:
        live.send("alerts", queue())
        group = page.locator("#alerts li.group-first[data-group='flood|마포구']")
        await group.locator("button.silence").click()
        await page.locator("#silence-dialog input[name=reason]").fill("수위계 오작동 확인 중")
        await page.locator("#silence-dialog button.ok").click()
        (command,) = await read_until(settings.kafka_bootstrap, topics.commands, bool)
        letter = {
            "source_topic": topics.commands,
            "partition": 0,
            "offset": 0,
            "received_at": datetime.now(UTC).isoformat(),
            "error": "silence_alerts: role dispatcher may not silence alerts",
            "payload": orjson.dumps(command).decode(),
            "event_id": command["id"],
            "stage": "follow",
        }
        produce(settings.kafka_bootstrap, topics.name("deadletter"), [(None, letter)])
        row = page.locator(f"#silences li.silence.refused[data-id='{command['id']}']")
        await row.wait_for(timeout=10000)
        assert "거부됨 refused" in await row.inner_text()
        assert "may not silence" in await row.inner_text()
    assert not page.errors  # type: ignore[attr-defined]


@pytest.mark.timeout(180)
async def test_a_silence_from_the_queue_withdraws_the_groups_drafts_on_the_real_worker(
    browser: Browser, settings: Settings, worker: Process, console: Process
) -> None:
    lon, lat = 126.9900, 37.5700  # central Seoul, inside the built-in city
    alarm = {
        "id": "gas-silence-e2e",
        "measured_at": datetime.now(UTC).isoformat(),
        "sensor_id": "S-GAS-E2E",
        "kind": "gas",
        "value": 40.0,
        "unit": "%LEL",
        "threshold": 10.0,
        "location": {"lon": lon, "lat": lat},
    }
    topics = Topics(settings.topic_prefix)
    page = await console_page(browser, settings, role=Role.SUPERVISOR)
    produce(settings.kafka_bootstrap, topics.name("sensor-alarms"), [(b"gas-silence-e2e", alarm)])
    first = page.locator("#alerts li.group-first[data-group^='gas|']")
    await first.wait_for(timeout=30000)
    draft_id = await first.get_attribute("data-id")
    assert "gas" in await first.locator(".why .rule").inner_text()  # the policy's rule, shown
    await first.locator("button.silence").click()
    await page.locator("#silence-dialog input[name=reason]").fill("도시가스 배관 교체 공사")
    await page.locator("#silence-dialog button.ok").click()
    (command,) = await read_until(settings.kafka_bootstrap, topics.commands, bool)
    # the worker withdraws the draft it covers: gone from the queue, listed as suppressed
    await page.locator(f"#alerts li[data-id='{draft_id}']").wait_for(
        state="detached", timeout=15000
    )
    row = page.locator(f"#silences li.silence[data-id='{command['id']}']")
    await rendered(
        page,
        f"document.querySelector(\"#silences li[data-id='{command['id']}'] .suppressed\")"
        "?.textContent.includes('1건')",
        15000,
    )
    assert not await row.evaluate("li => li.classList.contains('refused')")
    assert not page.errors  # type: ignore[attr-defined]
