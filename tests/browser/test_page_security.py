"""The pages run under their Content-Security-Policy without a single violation."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, Page

from access import Role
from stack.settings import Settings
from tests.browser.conftest import new_page, sign_in
from tests.conftest import Process
from tests.console.console_samples import token

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.integration]

WATCH_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
"""

INJECT_INLINE_SCRIPT = """() => {
  const s = document.createElement("script");
  s.textContent = "window.__inline = 1";
  document.head.appendChild(s);
  return window.__inline ?? null;
}"""


async def polled(page: Page, condition: str, timeout_s: float = 10.0) -> bool:
    """Whether ``condition`` holds within ``timeout_s``, polled from here (under the policy
    ``wait_for_function`` would need eval)."""
    for _ in range(int(timeout_s * 10)):
        if await page.evaluate(condition):
            return True
        await page.wait_for_timeout(100)
    return bool(await page.evaluate(condition))


@pytest.mark.parametrize(
    ("path", "role", "unit"),
    [("/", Role.DISPATCHER, None), ("/crew", Role.CREW, "E-1"), ("/public", None, None)],
)
async def test_a_page_loads_live_under_its_policy(
    browser: Browser,
    settings: Settings,
    console: Process,
    path: str,
    role: Role | None,
    unit: str | None,
) -> None:
    page = await new_page(browser, enforce_csp=True)
    await page.add_init_script(WATCH_VIOLATIONS)
    console_messages: list[str] = []
    page.on("console", lambda m: console_messages.append(m.text))
    if role:
        await sign_in(page, settings.console_url, token(settings, role, unit))
    response = await page.goto(f"{settings.console_url}{path}")
    assert response is not None
    assert "script-src 'self'" in (await response.all_headers())["content-security-policy"]
    assert await polled(page, "document.getElementById('conn').textContent === 'live'")
    await page.wait_for_timeout(500)
    assert await page.evaluate("window.__csp") == []
    assert not [m for m in console_messages if "Content Security Policy" in m]
    assert page.errors == []  # type: ignore[attr-defined]
    assert await page.evaluate(INJECT_INLINE_SCRIPT) is None  # the policy holds ...
    assert await polled(page, "window.__csp.length > 0")  # ... and its violations are seen
