"""Honest connection state: a console whose server goes silent says so once it has heard
nothing for ``GT.conn.settings.staleMs`` (badge, greyed countdowns, banner), reconnects, and
then tells what changed while it was away.

The cut is real: the console server process is stopped (SIGSTOP), so its socket stays open
but nothing arrives, the case in which a browser's socket alone never notices anything.
"""

from __future__ import annotations

import signal

import pytest
from playwright.async_api import Browser

from stack.settings import Settings
from tests.browser.live import console_page, rendered, stream
from tests.conftest import Process
from tests.console.console_samples import incident

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.integration]

WATCH_STALE = """() => { window.staleSeen = false; window.staleAfterMs = null;
  new MutationObserver(() => {
    if (!document.getElementById('conn').classList.contains('stale')) return;
    window.staleSeen = true;
    if (window.staleAfterMs === null)  // the silence the page had heard when it said so
      window.staleAfterMs = Date.now() - GT.console.link.lastFrameAt;
  }).observe(document.getElementById('conn'), { attributes: true }); }"""


@pytest.mark.timeout(120)
async def test_the_badge_goes_stale_after_a_silent_cut_and_names_the_p1s_missed(
    browser: Browser, settings: Settings, console: Process
) -> None:
    """The page goes stale on its own clock (no frame for ``staleMs``, checked every 200 ms);
    how long the test's side takes to see it depends on the machine's load, so it is not
    asserted."""
    quiet = [incident(f"inc-quiet-{i}", priority=3, type="medical") for i in range(5)]
    with stream(settings) as live:
        live.send("incidents", quiet)
        page = await console_page(browser, settings)
        await rendered(page, "GT.console.state.incidents.size === 5")
        await page.evaluate(WATCH_STALE)
        # an idle city is not a dead link: the server's pings keep the badge live
        idle_from = await page.evaluate("Date.now()")
        await rendered(page, f"GT.console.link.lastFrameAt > {idle_from} + 3000", 8000)
        assert await page.evaluate("window.staleSeen") is False
        console.proc.send_signal(signal.SIGSTOP)
        try:
            await rendered(page, "document.getElementById('conn').classList.contains('stale')")
            stale_after_ms = await page.evaluate("window.staleAfterMs")
            stale_ms = await page.evaluate("GT.conn.settings.staleMs")
            banner = await page.inner_text("#banner")
            grey = await page.evaluate(
                "getComputedStyle(document.querySelector('#incidents .countdown')).color"
            )
            missed = incident("inc-missed-p1", priority=1, type="cardiac_arrest")
            live.send("incidents", [missed, {**quiet[0], "version": 2, "status": "dispatched"}])
            await rendered(page, "GT.console.link.restarts >= 1")  # gave up on the silent link
        finally:
            console.proc.send_signal(signal.SIGCONT)
        await rendered(page, "document.getElementById('conn').textContent === 'live'", 20000)
        await rendered(page, "document.querySelector('#banner.away') !== null", 20000)
        away = await page.inner_text("#banner")
    assert stale_after_ms > stale_ms, f"stale after only {stale_after_ms} ms of silence"
    assert "Connection lost" in banner
    assert grey == "rgb(119, 119, 119)"  # countdowns greyed while stale
    assert "2 changes while you were away" in away
    assert "inc-missed-p1" in away and "심정지" in away
    assert await page.evaluate("document.body.classList.contains('stale')") is False
    assert not page.errors  # type: ignore[attr-defined]
