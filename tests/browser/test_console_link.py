"""Honest connection state: a console whose server goes silent says so once it has heard
nothing for ``GT.conn.settings.staleMs`` (badge, greyed countdowns, banner), reconnects, and
then tells what changed while it was away.

The cut is real: the console server process is stopped (SIGSTOP), so its socket stays open
but nothing arrives, the case in which a browser's socket alone never notices anything.
"""

from __future__ import annotations

import signal
import urllib.request
import uuid
from pathlib import Path

import pytest
from playwright.async_api import Browser

from access import Role
from stack.embedded import EmbeddedBroker, EmbeddedCache, local_settings
from stack.settings import Settings
from tests.browser.conftest import new_page, sign_in
from tests.browser.live import console_page, rendered, stream
from tests.conftest import Process, wait_for
from tests.console.console_samples import incident, token

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


def up(url: str) -> bool:
    """True when the console answers /healthz (it is serving, whether ready or not)."""
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=2) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


SEE_THE_LINK = """() => {
  window.badges = []; window.closes = [];
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener("open", () => window.badges.push("(opened)"));
      this.addEventListener("close", (e) => window.closes.push(e.code));
    }
  };
  document.addEventListener("DOMContentLoaded", () => {
    const conn = document.getElementById("conn");
    new MutationObserver(() => window.badges.push(conn.textContent))
      .observe(conn, { childList: true, characterData: true, subtree: true });
  });
}"""

STALE_ON_A_SECOND_SOCKET = """(() => {
  const b = window.badges, second = b.indexOf("(opened)", b.indexOf("(opened)") + 1);
  return second >= 0 && b.slice(second).some((t) => t.startsWith("stale"));
})()"""


@pytest.mark.timeout(120)
async def test_a_page_is_not_live_while_its_console_has_not_read_the_topics_history(
    browser: Browser, broker: EmbeddedBroker, cache: EmbeddedCache, tmp_path: Path
) -> None:
    """A console whose projector cannot read the history (here its topics do not exist, as
    when the broker lost them) holds each socket open and silent, then closes it with 1013:
    the console, crew and public pages never say "live" meanwhile (the console's own watch
    on a silent link replaces it after ``restartMs``, and the new socket is no more live)."""
    prefix = f"t{uuid.uuid4().hex[:10]}-"  # no topics made: the projector never catches up
    settings = local_settings(broker.bootstrap, cache.url, tmp_path, topic_prefix=prefix)
    console = Process("console", settings, tmp_path)  # up, never ready (/readyz says why)
    try:
        wait_for(lambda: up(settings.console_url), 60)
        crew = await new_page(browser, 800, 600)
        public = await new_page(browser, 800, 600)
        desk = await new_page(browser, 1440, 900)
        for page in (crew, public, desk):
            await page.add_init_script(f"({SEE_THE_LINK})()")
        await sign_in(crew, settings.console_url, token(settings, Role.CREW, "A-1"))
        await sign_in(desk, settings.console_url, token(settings, Role.DISPATCHER))
        await crew.goto(f"{settings.console_url}/crew")
        await public.goto(f"{settings.console_url}/public")
        await desk.goto(f"{settings.console_url}/")
        for page in (crew, public):
            await rendered(page, "window.closes.includes(1013)", 30000)
        await rendered(desk, STALE_ON_A_SECOND_SOCKET, 30000)
        for page in (crew, public, desk):
            badges = await page.evaluate("window.badges")
            assert "(opened)" in badges  # the socket was open while the console waited
            assert "live" not in badges, badges
    finally:
        console.stop()
