"""Playwright driving the system's Chromium (Debian ``chromium``; never ``playwright install``)."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def chromium_path() -> str:
    """The system Chromium (installed by .ci/run on a clean machine)."""
    for candidate in ("/usr/bin/chromium", shutil.which("chromium") or ""):
        if candidate and Path(candidate).exists():
            return candidate
    reason = "Debian chromium is not installed (apt-get install -y chromium; .ci/run does)"
    if os.environ.get("CI"):
        pytest.fail(reason)  # in CI a missing browser is a failure, never a silent skip
    pytest.skip(reason)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """A headless Chromium for one test."""
    async with async_playwright() as pw:
        b = await pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            await b.close()


async def new_page(
    browser: Browser,
    width: int = 1440,
    height: int = 900,
    *,
    enforce_csp: bool = False,
    touch: bool = False,
) -> Page:
    """A page that fails the test on any JavaScript error (``touch``: a touch screen, as a
    phone's, so tests can tap).

    Playwright polls ``wait_for_function`` predicates with ``eval``, which the pages' CSP
    forbids, so tests drive pages with the CSP bypassed; ``test_page_security`` enforces it.
    """
    page = await browser.new_page(
        viewport={"width": width, "height": height}, bypass_csp=not enforce_csp, has_touch=touch
    )
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.errors = errors  # type: ignore[attr-defined]
    return page


def screenshot_path(name: str) -> Path:
    """Where a page's screenshot from the test run is saved."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / f"{name}.png"


async def sign_in(page: Page, console_url: str, token: str) -> None:
    """Sign the page's browser context in with ``token`` as the sign-in page does: the
    console answers with the session cookie, which the context keeps (no token in a URL)."""
    answer = await page.request.post(
        f"{console_url}/api/session",
        headers={"Authorization": f"Bearer {token}", "Origin": console_url},
    )
    assert answer.ok, await answer.text()
