"""WebSocket fan-out: a snapshot on connect, then deltas; a slow client never stalls the rest."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from fastapi import WebSocket
from starlette.websockets import WebSocketDisconnect

from console.auth import WS_TOO_SLOW

log = logging.getLogger("goldentime.hub")

Filter = Callable[[str, dict[str, object]], bool]
SnapshotBuilder = Callable[[], Awaitable[list[str]]]
CLOSE_TIMEOUT_S = 2.0
MAX_BATCH = 128


def batch_frame(frames: list[str]) -> str:
    """Several pre-serialised frames as one ``{"type": "batch", "data": [...]}`` message."""
    return '{"type":"batch","data":[' + ",".join(frames) + "]}"


@dataclass(eq=False)
class Client:
    """One connected socket with its own bounded queue of frames to send."""

    websocket: WebSocket
    accepts: Filter
    queue: asyncio.Queue[str | None] = field(default_factory=lambda: asyncio.Queue(256))
    dropped: bool = False
    gone: asyncio.Event = field(default_factory=asyncio.Event)
    batch: bool = False


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
        client.gone.set()  # serve() stops its sender and closes the socket with WS_TOO_SLOW
        log.warning("dropped a slow WebSocket client (queue full)")

    async def serve(
        self,
        websocket: WebSocket,
        accepts: Filter,
        snapshot: list[str] | SnapshotBuilder,
        batch: bool = False,
    ) -> None:
        """Send the snapshot then deltas until the client leaves or is dropped.

        A snapshot builder is awaited after the client is subscribed, so no delta published
        while the snapshot is read is lost (a delta may repeat what the snapshot holds; every
        entity carries a version or time, and clients keep the newest).

        With ``batch`` (the client asked for it), frames that queued up while the client was
        being served go out together as one ``{"type": "batch", "data": [frame, …]}`` message,
        so a backlog costs one send instead of many; an idle stream still sends single frames.

        Sending runs in its own task, so a client dropped while its socket is stuck (it
        stopped reading) is closed at once instead of after its buffers drain.
        """
        client = Client(websocket, accepts, asyncio.Queue(self._queue_size))
        client.batch = batch
        self._clients.add(client)
        try:
            first = snapshot if isinstance(snapshot, list) else await snapshot()
        except BaseException:
            self._clients.discard(client)
            raise
        tasks = {
            asyncio.create_task(self._send_loop(client, first), name="ws-sender"),
            asyncio.create_task(self._drain_incoming(websocket), name="ws-receiver"),
            asyncio.create_task(client.gone.wait(), name="ws-dropped"),
        }
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            if client.dropped:
                for task in tasks:
                    task.cancel()
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(
                        websocket.close(WS_TOO_SLOW, "client too slow; reconnect"), CLOSE_TIMEOUT_S
                    )
        finally:
            self._clients.discard(client)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    @staticmethod
    async def _send_loop(client: Client, first: list[str]) -> None:
        """Send ``first`` then queued frames in order until the end marker or a disconnect."""
        with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
            for frame in first:
                await client.websocket.send_text(frame)
            while True:
                queued = await client.queue.get()
                if queued is None:
                    return
                if not client.batch or client.queue.empty():
                    await client.websocket.send_text(queued)
                    continue
                frames = [queued]
                while len(frames) < MAX_BATCH and not client.queue.empty():
                    more = client.queue.get_nowait()
                    if more is None:
                        break
                    frames.append(more)
                await client.websocket.send_text(batch_frame(frames))

    @staticmethod
    async def _drain_incoming(websocket: WebSocket) -> None:
        """Read (and ignore) what the client sends, so a close is noticed promptly."""
        with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
            while True:
                message = await websocket.receive()
                if message.get("type") == "websocket.disconnect":
                    return
