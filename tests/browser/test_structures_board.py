"""Bridges, tunnels and underpasses in the browser: the console's structure layer and board
(closure recommended first and loud, the trend of the hour, thresholds), confirming a
recommended closure produces the command, the public page shows the closed structure, and a
crew rerouted around it is told why.

Real console process on Seoul (its ~360 structures, when the data is present), broker, cache
and Chromium. No worker runs: the test publishes the ``road-closures`` records the worker
would, before and after the dispatcher's command.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser

from access import Role
from geo import load_city
from geo.structures import Structure, structures
from stack.settings import Settings, default_data_dir
from streams.topics import Topics
from tests.browser.conftest import new_page, screenshot_path, sign_in
from tests.browser.live import console_page, rendered, stream
from tests.conftest import Process, start_console
from tests.console.console_samples import (
    CITY_HALL,
    assignment,
    incident,
    now,
    road_closure,
    token,
    unit_status,
)
from tests.kafka_io import read_until

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.integration]


@pytest.fixture
def seoul(settings: Settings, tmp_path: Path) -> Iterator[Settings]:
    """A console on the city a deployment loads by default (Seoul), with its settings."""
    city_settings = settings.replace(data_dir=default_data_dir())
    proc: Process = start_console(city_settings, tmp_path, timeout_s=120)
    yield city_settings
    proc.stop()


def nearest(items: list[Structure], kind: str, skip: frozenset[str] = frozenset()) -> Structure:
    """The structure of ``kind`` nearest City Hall (the console's first view)."""
    x, y = CITY_HALL
    return min(
        (s for s in items if s.kind == kind and s.id not in skip),
        key=lambda s: (s.lon - x) ** 2 + (s.lat - y) ** 2,
    )


def record(
    s: Structure, state: str, version: int, readings: list[dict[str, Any]], **kw: Any
) -> dict[str, Any]:
    """A ``road-closures`` record of a registry structure."""
    at = readings[-1]["measured_at"] if readings else now().isoformat()
    return road_closure(
        s.id,
        state,
        version,
        name=s.name,
        kind=s.kind,
        gu=s.gu,
        link_ids=list(s.link_ids),
        location={"lon": s.lon, "lat": s.lat},
        readings=readings,
        updated_at=at,
        **kw,
    )


def reading(
    sensor: str, kind: str, value: float, unit: str, watch: float, close: float, minutes_ago: float
) -> dict[str, Any]:
    at = now() - timedelta(minutes=minutes_ago)
    return {
        "sensor_id": sensor,
        "kind": kind,
        "value": value,
        "unit": unit,
        "watch_at": watch,
        "close_at": close,
        "measured_at": at.isoformat(),
    }


def rising_underpass(s: Structure) -> list[dict[str, Any]]:
    """An underpass filling over the last hour: open, watch at 0.05 m, closure recommended
    at 0.15 m (dispatch/closure_rules.toml; one record per reading, as the worker publishes
    them)."""
    depths = [0.0, 0.0, 0.01, 0.01, 0.02, 0.03, 0.04, 0.06, 0.08, 0.10, 0.13, 0.16, 0.19]
    out = []
    for i, depth in enumerate(depths):
        state = "closure_recommended" if depth >= 0.15 else "watch" if depth >= 0.05 else "open"
        r = reading(f"WL-{s.id}", "water_level", depth, "m", 0.05, 0.15, 55 - i * 4.5)
        reason = (
            f"수위 {depth:.2f} m ≥ 0.15 m (통제 권고 기준)"
            if state == "closure_recommended"
            else None
        )
        out.append(record(s, state, i + 1, [r], reason=reason))
    return out


@pytest.mark.timeout(240)
async def test_board_layer_confirm_and_public_page(browser: Browser, seoul: Settings) -> None:
    settings = seoul
    registry = list(structures(load_city(settings.data_dir)))
    under = nearest(registry, "underpass")
    tunnel = nearest(registry, "tunnel")
    bridge = nearest(registry, "bridge")
    second = nearest(registry, "underpass", frozenset({under.id}))
    co = [
        reading(f"CO-{tunnel.id}", "tunnel_co", v, "ppm", 100, 200, m)
        for v, m in [(40, 50), (70, 30), (124, 5)]
    ]
    strain = [
        reading(f"STRAIN-{bridge.id}", "bridge_strain", v, "µε", 400, 600, m)
        for v, m in [(310, 40), (640, 10)]
    ]
    with stream(settings) as live:
        live.send("road-closures", rising_underpass(under))
        live.send(
            "road-closures",
            [record(tunnel, "watch", 3, co[2:], reason="일산화탄소 124 ppm ≥ 100 ppm (관찰 기준)")],
        )
        live.send("road-closures", [record(tunnel, "watch", 2, co[:2])])  # late: older version
        live.send(
            "road-closures",
            [
                record(bridge, "watch", 1, strain[:1]),
                record(
                    bridge,
                    "closed",
                    2,
                    strain[1:],
                    previous_state="watch",
                    reason="교량 변형률 초과 — 현장 점검",
                    command_id="cmd-bridge-1",
                    by="dispatcher-lee",
                ),
                record(second, "closed", 1, [], reason="공사 통제", by="dispatcher-lee"),
            ],
        )
        page = await console_page(browser, settings)
        await rendered(page, f"GT.structures.items.size === {len(registry)}", 30000)
        assert await page.evaluate("GT.structures.drawnCount()") == len(registry)  # the layer
        await page.locator("#structures-toggle.asks").wait_for()  # it asks for a person
        await page.locator("#structures-toggle").click()
        board = page.locator("#structures li.structure")
        await page.locator(
            f"#structures li[data-id='{under.id}'].st-closure_recommended"
        ).wait_for()
        await rendered(page, "document.querySelectorAll('#structures li.structure').length === 4")
        order = await board.evaluate_all("rows => rows.map(r => [r.dataset.id, r.dataset.state])")
        assert order[0] == [under.id, "closure_recommended"]  # first, above the closed ones
        assert [s for _, s in order] == ["closure_recommended", "closed", "closed", "watch"]
        row = page.locator(f"#structures li[data-id='{under.id}']")
        assert "0.19 m" in await row.locator(".reading .value").inner_text()
        assert "통제 0.15" in await row.locator(".reading .limits").inner_text()
        points = await row.locator("svg.spark polyline").get_attribute("points")
        assert points is not None and len(points.split()) == 13  # the hour's trend
        assert await row.locator("button.confirm-closure").is_visible()
        assert await row.locator("button.reopen").is_hidden()
        tunnel_row = page.locator(f"#structures li[data-id='{tunnel.id}']")
        assert "124" in await tunnel_row.locator(".reading .value").inner_text()  # v3, not v2
        alarm = page.locator("#alarms li.closure.loud")
        await alarm.wait_for()
        assert under.name in await alarm.inner_text()
        # every structure is a step away (the board draws at most its limit of rows)
        await page.select_option("#structures-show", "all")
        limit = await page.evaluate("GT.structures.settings.rowLimit")
        rows = min(limit, len(registry))
        await rendered(
            page, f"document.querySelectorAll('#structures li.structure').length === {rows}"
        )
        await page.fill("#structures-search", second.name)
        await page.locator(f"#structures li[data-id='{second.id}'].st-closed").wait_for()
        await page.fill("#structures-search", "")
        await page.select_option("#structures-show", "attention")
        await rendered(page, "document.querySelectorAll('#structures li.structure').length === 4")
        await page.evaluate(f"GT.structures.focus('{under.id}')")
        await page.wait_for_timeout(400)  # the map canvas paints before the picture
        await page.screenshot(path=str(screenshot_path("structures-board")))

        await row.locator("button.confirm-closure").click()
        await page.locator("#confirm[open]").wait_for()
        await page.locator("#confirm button.ok").click()
        await page.locator("#outcomes li[data-state=pending]").wait_for()
        commands = await read_until(
            settings.kafka_bootstrap, Topics(settings.topic_prefix).commands, lambda r: len(r) >= 1
        )
        assert len(commands) == 1
        command = commands[0]
        assert command["action"] == "confirm_closure" and command["structure_id"] == under.id
        assert command["by"] == "test-dispatcher"
        last = rising_underpass(under)[-1]
        closed = {
            **last,
            "state": "closed",
            "previous_state": "closure_recommended",
            "version": last["version"] + 1,
            "updated_at": now().isoformat(),
            "command_id": command["id"],
            "by": command["by"],
        }
        live.send("road-closures", [closed])
        await page.locator("#outcomes li.done").wait_for()
        await page.locator(f"#structures li[data-id='{under.id}'].st-closed").wait_for()
        assert await row.locator("button.reopen").is_visible()
        await page.locator("#structures-toggle:not(.asks)").wait_for()
        await page.locator("#alarms li.closure").wait_for(state="detached")

        public = await new_page(browser)
        await public.goto(f"{settings.console_url}/public")
        shown = public.locator("#closures li")
        await public.locator(f"#closures li[data-id='{under.id}']").wait_for()
        assert await shown.count() == 3  # the underpass, the bridge, the second underpass
        text = await public.inner_text("#closures")
        assert under.name in text and under.gu in text and "지하차도" in text
        assert "dispatcher" not in text and "test-dispatcher" not in text and "변형률" not in text
        live.send(
            "road-closures",
            [
                {
                    **closed,
                    "state": "open",
                    "previous_state": "closed",
                    "version": closed["version"] + 1,
                    "updated_at": now().isoformat(),
                }
            ],
        )
        await public.locator(f"#closures li[data-id='{under.id}']").wait_for(state="detached")
        assert await shown.count() == 2
    assert not page.errors  # type: ignore[attr-defined]
    assert not public.errors  # type: ignore[attr-defined]


@pytest.mark.timeout(120)
async def test_a_rerouted_crew_and_its_dispatcher_see_the_new_route_and_which_structure_closed(
    browser: Browser, settings: Settings, console: Process
) -> None:
    under = next(s for s in structures(load_city(settings.data_dir)) if s.kind == "underpass")
    old_route = [(126.9700, 37.5650), (under.lon, under.lat), (126.9800, 37.5700)]
    new_route = [(126.9700, 37.5650), (126.9720, 37.5720), (126.9800, 37.5700)]
    mine = incident("inc-reroute-1", *new_route[-1], status="dispatched")
    with stream(settings) as live:
        live.send(
            "road-closures",
            [record(under, "closed", 2, [], previous_state="closure_recommended", by="kim")],
        )
        live.send(
            "unit-status", [unit_status("A-RR-1", "en_route", *old_route[0], kind="ambulance")]
        )
        live.send("incidents", [mine])
        live.send("assignments", [assignment(mine["id"], "A-RR-1", "assigned", old_route)])
        page = await new_page(browser, 390, 844)
        await sign_in(page, settings.console_url, token(settings, Role.CREW, "A-RR-1"))
        await page.goto(f"{settings.console_url}/crew")
        await rendered(page, "document.getElementById('type').textContent.length > 0")
        assert await page.locator("#reroute").is_hidden()
        rerouted = {
            **assignment(mine["id"], "A-RR-1", "assigned", new_route),
            "rerouted_because": under.id,
        }
        live.send("assignments", [rerouted])
        await page.locator("#reroute").wait_for()
        notice = await page.inner_text("#reroute")
        assert under.name in notice and "지하차도" in notice
        drawn = await page.evaluate(
            """() => { const out = []; GT.crew.drawn.eachLayer((l) => { if (l.getLatLngs) out.push(
                 l.getLatLngs().map((p) => [p.lng, p.lat])); }); return out; }"""
        )
        assert [list(p) for p in new_route] in drawn  # the new route, not the old one
        assert [list(p) for p in old_route] not in drawn
        # the dispatcher's detail of the incident says so too
        desk = await console_page(browser, settings)
        await desk.locator("#incidents li.incident[data-id='inc-reroute-1']").click()
        order = desk.locator("#detail tr[data-unit='A-RR-1']")
        await order.filter(has_text=f"rerouted around {under.name}").wait_for()
    assert not page.errors  # type: ignore[attr-defined]
    assert not desk.errors  # type: ignore[attr-defined]
