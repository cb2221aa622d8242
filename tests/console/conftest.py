"""Console test helpers: a running console with sample data produced to the real broker."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

import httpx
import orjson

from stack.settings import Settings
from streams.topics import Topics
from tests.kafka_io import produce


def publish(settings: Settings, base: str, items: list[dict[str, Any]], key: str = "id") -> None:
    """Produce contract messages to one topic of the test's deployment."""
    topic = Topics(settings.topic_prefix).name(base)
    produce(settings.kafka_bootstrap, topic, [(str(i.get(key, "k")).encode(), i) for i in items])


async def eventually(
    check: Callable[[], Any], timeout_s: float = 10.0, interval_s: float = 0.05
) -> Any:
    """Await ``check()`` (sync or async) until truthy; fail after ``timeout_s``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    last: Any = None
    while loop.time() < deadline:
        last = check()
        if asyncio.iscoroutine(last):
            last = await last
        if last:
            return last
        await asyncio.sleep(interval_s)
    raise AssertionError(f"condition not met within {timeout_s} s (last: {last!r})")


async def frames_until(
    ws: Any, done: Callable[[list[dict[str, Any]]], bool], timeout_s: float = 15.0
) -> list[dict[str, Any]]:
    """Frames of a console socket (batches unpacked) received until ``done(frames)``; raises
    TimeoutError after ``timeout_s``."""
    got: list[dict[str, Any]] = []
    async with asyncio.timeout(timeout_s):
        while not done(got):
            msg = orjson.loads(await ws.recv())
            got += msg["data"] if msg["type"] == "batch" else [msg]
    return got


async def frames_within(ws: Any, window_s: float) -> list[dict[str, Any]]:
    """Every frame of a console socket (batches unpacked) received within ``window_s``: what
    a test reads to show that something it must never be sent did not come."""
    got: list[dict[str, Any]] = []
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(window_s):
            while True:
                msg = orjson.loads(await ws.recv())
                got += msg["data"] if msg["type"] == "batch" else [msg]
    return got


def bearer(token: str | None) -> dict[str, str]:
    """Authorization header for a token (none for None)."""
    return {"Authorization": f"Bearer {token}"} if token else {}


def client(settings: Settings) -> httpx.AsyncClient:
    """An HTTP client for the test's console."""
    return httpx.AsyncClient(base_url=settings.console_url, timeout=10)


class RecordingSocket:
    """Just enough of a WebSocket for the hub: records what is sent and how it was closed,
    never receives (the hub's own logic, without a server; real sockets are in the live
    tests)."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.closed: tuple[int, str] | None = None

    async def send_text(self, text: str) -> None:
        self.sent.append(orjson.loads(text))

    async def receive(self) -> dict[str, Any]:
        await asyncio.Event().wait()
        return {}

    async def close(self, code: int = 1000, reason: str = "") -> None:
        self.closed = (code, reason)
