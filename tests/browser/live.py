"""Driving a console page under live updates: one open producer, a console page, its socket."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
from kafka import KafkaProducer
from playwright.async_api import Browser, Page

from access import Role
from stack.settings import Settings
from streams.topics import Topics
from tests.browser.conftest import new_page, sign_in
from tests.console.console_samples import token

KEYS = {
    "unit-status": "unit_id",
    "assignments": "incident_id",
    "overlays": "incident_id",
    "road-closures": "structure_id",
}


class Stream:
    """Produces contract messages to a deployment's output topics through one producer."""

    def __init__(self, settings: Settings) -> None:
        self.topics = Topics(settings.topic_prefix)
        self.producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all")

    def send(self, base: str, items: list[dict[str, Any]]) -> None:
        """Send ``items`` to topic ``base`` (keyed as the worker keys them) and flush."""
        key = KEYS.get(base, "id")
        for item in items:
            self.producer.send(
                self.topics.name(base), key=str(item[key]).encode(), value=orjson.dumps(item)
            )
        self.producer.flush()

    def close(self) -> None:
        """Close the producer."""
        self.producer.close()


@contextmanager
def stream(settings: Settings) -> Iterator[Stream]:
    """A :class:`Stream` closed on exit."""
    s = Stream(settings)
    try:
        yield s
    finally:
        s.close()


async def console_page(
    browser: Browser,
    settings: Settings,
    width: int = 1440,
    height: int = 900,
    *,
    role: Role = Role.DISPATCHER,
) -> Page:
    """The operator console signed in as ``role`` (a dispatcher), once its socket is live."""
    page = await new_page(browser, width, height)
    await sign_in(page, settings.console_url, token(settings, role))
    await page.goto(f"{settings.console_url}/")
    await page.wait_for_function("document.getElementById('conn').textContent === 'live'")
    return page


async def rendered(page: Page, expression: str, timeout_ms: float = 10000) -> None:
    """Wait until ``expression`` (JavaScript) is true in the page."""
    await page.wait_for_function(expression, timeout=timeout_ms)
