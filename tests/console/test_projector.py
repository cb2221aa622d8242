"""The projector on the real broker: what is history, what is news, across reconnects."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from console.projector import Projector
from stack.settings import Settings
from streams.topics import Topics
from tests.console.conftest import eventually
from tests.kafka_io import produce

pytestmark = [pytest.mark.integration]


class Recorder:
    """A projection handler that records (value, live) and fails once on request."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, bool]] = []
        self.fail_on: set[str] = set()

    async def __call__(self, messages: list[tuple[str, bytes, bool]]) -> None:
        batch = []
        for _base, value, live in messages:  # all of a batch or none of it, as the console's
            text = value.decode()
            if text in self.fail_on:
                self.fail_on.discard(text)
                raise ConnectionError(f"cache unreachable while storing {text}")  # as Redis
            batch.append((text, live))
        self.seen += batch


def put(settings: Settings, *values: str) -> None:
    topic = Topics(settings.topic_prefix).incidents
    produce(settings.kafka_bootstrap, topic, [(b"one-partition", v.encode()) for v in values])


@contextlib.asynccontextmanager
async def running(projector: Projector) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(projector.run())
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_history_is_replayed_quietly_news_is_live_even_after_a_reconnect(
    settings: Settings,
) -> None:
    put(settings, "old-1", "old-2")
    handler = Recorder()
    topics = Topics(settings.topic_prefix)
    projector = Projector(settings.kafka_bootstrap, topics, ("incidents",), handler)
    async with running(projector):
        await asyncio.wait_for(projector.caught_up.wait(), 20)
        await eventually(lambda: len(handler.seen) == 2)
        assert handler.seen == [("old-1", False), ("old-2", False)]

        handler.fail_on.add("new-1")  # the store fails: the projector reconnects and replays
        put(settings, "new-1", "new-2")
        await eventually(lambda: ("new-2", True) in handler.seen, timeout_s=20)
        put(settings, "new-3")
        await eventually(lambda: ("new-3", True) in handler.seen, timeout_s=20)

    live = [v for v, is_live in handler.seen if is_live]
    assert live == ["new-1", "new-2", "new-3"], handler.seen  # each piece of news told once
    replayed = [v for v, is_live in handler.seen if not is_live]
    assert replayed == ["old-1", "old-2", "old-1", "old-2"]  # the read model was rebuilt
