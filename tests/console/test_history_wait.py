"""A console that has just started reads no snapshot before its read model holds the topics'
history: a page that reconnects to it early would otherwise be shown what ended while it was
away, and what the projector reads while catching up is never sent as news."""

from __future__ import annotations

import asyncio
from typing import cast

import pytest
from fastapi import WebSocket

from console.auth import WS_TRY_AGAIN
from console.hub import Hub
from tests.console.conftest import RecordingSocket, eventually


@pytest.mark.timeout(10)
async def test_the_snapshot_is_read_only_once_the_history_is() -> None:
    history = asyncio.Event()
    hub, socket = Hub(history=history), RecordingSocket()
    reads: list[bool] = []

    async def snapshot() -> list[str]:
        reads.append(history.is_set())
        return ['{"type":"snapshot","data":{"alerts":[]}}']

    served = asyncio.create_task(hub.serve(cast(WebSocket, socket), lambda k, d: True, snapshot))
    await asyncio.sleep(0.2)
    assert reads == [] and socket.sent == [] and socket.closed is None
    history.set()
    await eventually(lambda: socket.sent)
    hub.publish("alert", {"id": "a-1"}, '{"type":"alert","data":{"id":"a-1"}}', "a-1")
    await eventually(lambda: len(socket.sent) == 2)
    served.cancel()
    await asyncio.gather(served, return_exceptions=True)
    assert reads == [True]
    assert [f["type"] for f in socket.sent] == ["snapshot", "alert"]


@pytest.mark.timeout(10)
async def test_a_client_is_told_to_come_back_when_the_history_takes_too_long() -> None:
    hub, socket = Hub(history=asyncio.Event(), history_wait_s=0.1), RecordingSocket()
    assert not await hub.history_read(cast(WebSocket, socket))
    assert socket.closed is not None and socket.closed[0] == WS_TRY_AGAIN
    reads: list[int] = []

    async def snapshot() -> list[str]:
        reads.append(1)
        return []

    socket.closed = None
    await asyncio.wait_for(hub.serve(cast(WebSocket, socket), lambda k, d: True, snapshot), 5)
    assert socket.closed is not None and socket.closed[0] == WS_TRY_AGAIN
    assert reads == [] and hub.client_count == 0


async def test_without_a_history_to_wait_for_the_snapshot_goes_at_once() -> None:
    hub, socket = Hub(), RecordingSocket()
    assert await hub.history_read(cast(WebSocket, socket))
    assert socket.closed is None
