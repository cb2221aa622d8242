"""A map a dispatcher can read: incident clusters, square units, street names when zoomed in.
Real console, broker, cache and Chromium."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser

from stack.settings import Settings
from tests.browser.live import console_page, rendered, stream
from tests.conftest import Process
from tests.console.console_samples import CITY_HALL, incident, unit_status

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.integration]

COUNTED = """() => { const shown = [];
  GT.console.layers.incidents.eachLayer(() => shown.push(1));
  const clustered = [...document.querySelectorAll('.cluster')]
    .reduce((s, e) => s + Number(e.textContent), 0);
  return { shown: shown.length, clustered, clusters: document.querySelectorAll('.cluster').length,
           zoom: GT.console.map.getZoom() }; }"""


@pytest.mark.timeout(120)
async def test_close_incidents_cluster_units_are_squares_and_streets_are_named_up_close(
    browser: Browser, settings: Settings, console: Process
) -> None:
    lon, lat = CITY_HALL
    crowd = [
        incident(
            f"inc-map-{i:03d}",
            lon + (i % 20) * 0.0004,
            lat + (i // 20) * 0.0004,
            priority=1 + i % 5,
        )
        for i in range(200)
    ]
    with stream(settings) as live:
        live.send("unit-status", [unit_status("E-MAP-1", "available", lon - 0.01, lat)])
        live.send("incidents", crowd)
        page = await console_page(browser, settings)
        await rendered(page, "GT.console.state.incidents.size === 200 && GT.console.state.fitted")
        await page.evaluate("void GT.console.map.setZoom(13, { animate: false })")
        await rendered(page, "document.querySelectorAll('.cluster').length > 0")
        far = await page.evaluate(COUNTED)
        square = await page.evaluate(
            "GT.console.state.units.get('E-MAP-1').marker instanceof GT.SquareMarker"
        )
        labels_far = await page.locator(".street-label").count()
        await page.locator(".cluster").first.click()
        await rendered(page, f"GT.console.map.getZoom() > {far['zoom']}")
        close_up = f"void GT.console.map.setView([{lat}, {lon}], 17, {{ animate: false }})"
        await page.evaluate(close_up)
        await rendered(page, "document.querySelectorAll('.street-label').length > 0")
        names = await page.evaluate(
            "[...document.querySelectorAll('.street-label')].map(e => e.textContent)"
        )
    assert far["shown"] + far["clustered"] == 200  # every incident: its marker or in a cluster
    assert far["clusters"] < 200 - far["shown"]  # clusters stand for several incidents each
    assert square is True
    assert labels_far == 0  # no street names at city scale
    assert all(names) and len(set(names)) >= 1
    assert not page.errors  # type: ignore[attr-defined]
