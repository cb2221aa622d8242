"""A dispatcher's rulings driven through the console page and applied by the real worker.

Two fire calls fuse into one incident; a flood call from the same building opens another,
which the worker marks "possibly related" to the fire. On the page the dispatcher splits the
second fire call off (it opens a new incident, linked back), retypes the fire to P1, and
merges the flood into the fire from its "possibly related" list: each action pending, then
done; the flood leaves the queue and the fire shows every ruling with who and why.
Real broker, cache, worker, console and Chromium.
"""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import orjson
import pytest
from playwright.async_api import Browser, Page

from access import Role
from stack.settings import Settings
from streams.topics import Topics
from tests.browser.live import console_page, rendered, stream
from tests.conftest import Process
from tests.console.conftest import bearer
from tests.console.console_samples import incident, token
from tests.integration.scenario_events import TOWER, at, call
from tests.kafka_io import produce, read_until

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.integration]

M_PER_DEG_LON = 111_320.0 * 0.7927  # at 37.5° N


async def owner(page: Page, evidence_id: str, timeout_ms: float = 30000) -> str:
    """The id of the incident the page shows holding ``evidence_id``."""
    find = f"""[...GT.console.state.incidents.values()]
        .find((i) => i.evidence.some((e) => e.id === '{evidence_id}'))"""
    handle = await page.wait_for_function(f"({find} || {{}}).id", timeout=timeout_ms)
    return str(await handle.json_value())


async def done(page: Page, incident_id: str, count: int) -> None:
    """Wait until ``count`` actions on ``incident_id`` show done (none refused)."""
    outcomes = f"#outcomes li[data-incident='{incident_id}']"
    await rendered(
        page,
        f'document.querySelectorAll("{outcomes}[data-state=done]").length >= {count}',
        20000,
    )
    assert not await page.locator(f"{outcomes}[data-state=refused]").count()


@pytest.mark.timeout(240)
async def test_split_retype_and_merge_from_the_console_through_the_worker(
    browser: Browser, settings: Settings, worker: Process, console: Process
) -> None:
    lon, lat = TOWER
    calls = [
        call("b-fire-1", lon, lat, "fire", at(0)),
        call("b-fire-2", lon + 20 / M_PER_DEG_LON, lat, "fire", at(5)),
        call("b-flood-1", lon + 40 / M_PER_DEG_LON, lat, "flood", at(10)),  # never fuses
    ]
    page = await console_page(browser, settings)
    async with httpx.AsyncClient(base_url=settings.console_url, timeout=10) as http:
        for c in calls:
            posted = await http.post(
                "/api/calls", json=c, headers=bearer(token(settings, Role.SERVICE))
            )
            assert posted.status_code == 202, posted.text
    flood = await owner(page, "b-flood-1")
    fire = await owner(page, "b-fire-1")
    assert await owner(page, "b-fire-2") == fire != flood

    # split: tick the second fire call in the fire's evidence, give a reason, split
    await page.locator(f"#incidents li.incident[data-id='{fire}']").click()
    detail = page.locator("#detail")
    await detail.locator("li[data-evidence='b-fire-2'] input[type=checkbox]").check()
    await detail.locator("form.split input[name=ruling_reason]").fill(
        "다른 층 별개 화재 other floor"
    )
    await detail.locator("form.split button.split").click()
    await done(page, fire, 1)
    new = await owner(page, "b-fire-2")
    assert new not in (fire, flood)
    await detail.locator("ol.rulings li.ruling[data-action=split_evidence]").wait_for()
    into = detail.locator("form.merge select[name=into_incident_id]")
    await into.locator(f"option[value='{new}']").wait_for(state="attached")
    assert await into.input_value() == ""  # a new choice never selects itself

    # retype: the fire to P1
    await detail.locator("form.retype select[name=priority]").select_option("1")
    await detail.locator("form.retype input[name=ruling_reason]").fill("요구조자 다수 many trapped")
    await detail.locator("form.retype button.retype").click()
    await done(page, fire, 2)
    await rendered(page, f"GT.console.state.incidents.get('{fire}').priority === 1")
    await detail.locator("h3.title", has_text="P1").wait_for()

    # the split-off incident links back to the fire
    await page.locator(f"#incidents li.incident[data-id='{new}']").click()
    back = detail.locator(f".ruling-links button.incident-link[data-incident='{fire}']")
    await back.wait_for()

    # merge: the flood into the fire, one click from its "possibly related" list
    await page.locator(f"#incidents li.incident[data-id='{flood}']").click()
    related = detail.locator(f"ul.related li[data-incident='{fire}']")
    await related.wait_for()
    await related.locator("button.merge-related").click()
    await page.locator("#confirm[open]").wait_for()
    await page.locator("#confirm input[name=reason]").fill(
        "같은 건물 스프링클러 침수 same building"
    )
    await page.locator("#confirm button.ok").click()
    await done(page, flood, 1)
    await rendered(page, f"!document.querySelector(\"#incidents li[data-id='{flood}']\")")
    assert await page.evaluate(f"GT.console.mergedInto.get('{flood}')") == fire
    # the panel follows the merge to the fire, which now holds the flood call and every ruling
    await detail.locator("h3.title", has_text=fire).wait_for()
    merged = detail.locator("ol.rulings li.ruling[data-action=merge_incident]")
    await merged.wait_for()
    assert await merged.locator(f"button.incident-link[data-incident='{flood}']").count() == 1
    assert "same building" in (await merged.inner_text())
    assert await detail.locator("li[data-evidence='b-flood-1']").count() == 1
    actions = await detail.locator("ol.rulings li.ruling").evaluate_all(
        "(lis) => lis.map((li) => li.dataset.action)"
    )
    assert actions == ["split_evidence", "retype_incident", "merge_incident"]
    assert "test-dispatcher" in await detail.locator("ol.rulings").inner_text()
    assert not page.errors  # type: ignore[attr-defined]


@pytest.mark.timeout(120)
async def test_a_ruling_the_worker_refuses_shows_refused_with_its_reason(
    browser: Browser, settings: Settings, console: Process
) -> None:
    """No worker here: the test reads the command and publishes the worker's dead letter."""
    topics = Topics(settings.topic_prefix)
    with stream(settings) as live:
        live.send("incidents", [incident("inc-refuse-1", priority=3)])
        page = await console_page(browser, settings)
        await page.locator("#incidents li.incident[data-id='inc-refuse-1']").click()
        detail = page.locator("#detail")
        await detail.locator("form.retype select[name=type]").select_option("hazmat")
        await detail.locator("form.retype input[name=ruling_reason]").fill("약품 냄새")
        await detail.locator("form.retype button.retype").click()
        pending = "#outcomes li[data-incident='inc-refuse-1'][data-state=pending]"
        await page.locator(pending).wait_for()
        (command,) = await read_until(settings.kafka_bootstrap, topics.commands, bool)
        assert command["action"] == "retype_incident" and command["type"] == "hazmat"
        letter = {
            "source_topic": topics.commands,
            "partition": 0,
            "offset": 0,
            "received_at": datetime.now(UTC).isoformat(),
            "error": "retype_incident: no active incident 'inc-refuse-1'",
            "payload": orjson.dumps(command).decode(),
            "event_id": command["id"],
            "stage": "zone",
        }
        produce(settings.kafka_bootstrap, topics.name("deadletter"), [(None, letter)])
        refused = page.locator("#outcomes li[data-incident='inc-refuse-1'][data-state=refused]")
        await refused.wait_for()
        assert "no active incident" in await refused.inner_text()
        assert not await detail.locator("ol.rulings li").count()
    assert not page.errors  # type: ignore[attr-defined]
