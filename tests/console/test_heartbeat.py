"""An idle console socket sends ping frames, so a client can tell a quiet city from a dead link."""

from __future__ import annotations

import asyncio
from typing import cast

import orjson
import pytest
from fastapi import WebSocket

from console.hub import Hub, ping_frame
from tests.console.conftest import RecordingSocket, eventually


def test_a_ping_frame_carries_the_send_time() -> None:
    assert orjson.loads(ping_frame(1.5)) == {"type": "ping", "data": {"at_ms": 1500}}


@pytest.mark.timeout(10)
async def test_an_idle_stream_pings_and_deltas_still_flow() -> None:
    hub, socket = Hub(), RecordingSocket()
    ws = cast(WebSocket, socket)
    served = asyncio.create_task(
        hub.serve(ws, lambda k, d: True, ['{"type":"snapshot"}'], True, 0.05)
    )
    await eventually(lambda: len([f for f in socket.sent if f["type"] == "ping"]) >= 3)
    hub.publish("incident", {"id": "inc-1"}, '{"type":"incident","data":{"id":"inc-1"}}', "inc-1")
    await eventually(lambda: any(f["type"] == "incident" for f in socket.sent))
    served.cancel()
    await asyncio.gather(served, return_exceptions=True)
    assert socket.sent[0] == {"type": "snapshot"}


@pytest.mark.timeout(10)
async def test_without_a_heartbeat_an_idle_stream_stays_silent() -> None:
    hub, socket = Hub(), RecordingSocket()
    served = asyncio.create_task(hub.serve(cast(WebSocket, socket), lambda k, d: True, []))
    await eventually(lambda: hub.client_count == 1)
    hub.publish("incident", {"id": "inc-1"}, '{"type":"incident","data":{"id":"inc-1"}}', "inc-1")
    await eventually(lambda: socket.sent)
    await asyncio.sleep(0.2)  # an idle stretch four times the other test's heartbeat
    served.cancel()
    await asyncio.gather(served, return_exceptions=True)
    assert [f["type"] for f in socket.sent] == ["incident"]
