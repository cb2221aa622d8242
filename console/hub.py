"""WebSocket fan-out: a snapshot on connect, then deltas; a slow client never stalls the rest."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi import WebSocket
from starlette.websockets import WebSocketDisconnect

from console.auth import WS_TOO_SLOW

log = logging.getLogger("goldentime.hub")

Filter = Callable[[str, dict[str, object]], bool]


@dataclass(eq=False)
class Client:
    """One connected socket with its own bounded queue of frames to send."""

    websocket: WebSocket
    accepts: Filter
    queue: asyncio.Queue[str | None] = field(default_factory=lambda: asyncio.Queue(256))
    dropped: bool = False


class Hub:
    """Fans pre-serialised frames out to every client whose filter accepts them."""

    def __init__(self, queue_size: int = 256) -> None:
        self._clients: set[Client] = set()
        self._queue_size = queue_size
        self.dropped_slow = 0

    @property
    def client_count(self) -> int:
        """Connected clients."""
        return len(self._clients)

    def publish(self, kind: str, data: dict[str, object], frame: str) -> None:
        """Queue ``frame`` for every interested client; drop clients whose queue is full."""
        for client in list(self._clients):
            if client.dropped or not client.accepts(kind, data):
                continue
            try:
                client.queue.put_nowait(frame)
            except asyncio.QueueFull:
                self._drop(client)

    def _drop(self, client: Client) -> None:
        client.dropped = True
        self._clients.discard(client)
        self.dropped_slow += 1
        with contextlib.suppress(asyncio.QueueFull):
            client.queue.put_nowait(None)
        log.warning("dropped a slow WebSocket client (queue full)")

    async def serve(self, websocket: WebSocket, accepts: Filter, snapshot: list[str]) -> None:
        """Send the snapshot then deltas until the client leaves or is dropped."""
        client = Client(websocket, accepts, asyncio.Queue(self._queue_size + len(snapshot)))
        for frame in snapshot:
            client.queue.put_nowait(frame)
        self._clients.add(client)
        receiver = asyncio.create_task(self._drain_incoming(websocket), name="ws-receiver")
        try:
            while True:
                queued = await client.queue.get()
                if queued is None:
                    with contextlib.suppress(Exception):
                        await websocket.close(WS_TOO_SLOW, "client too slow; reconnect")
                    return
                if receiver.done():
                    return
                await websocket.send_text(queued)
        except (WebSocketDisconnect, RuntimeError, OSError):
            return
        finally:
            self._clients.discard(client)
            receiver.cancel()

    @staticmethod
    async def _drain_incoming(websocket: WebSocket) -> None:
        """Read (and ignore) what the client sends, so a close is noticed promptly."""
        with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
            while True:
                message = await websocket.receive()
                if message.get("type") == "websocket.disconnect":
                    return
