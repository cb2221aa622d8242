"""WebSocket fan-out: a snapshot on connect, then deltas; a slow client never stalls the rest."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from fastapi import WebSocket
from starlette.websockets import WebSocketDisconnect

from console.auth import WS_TOO_SLOW, WS_TRY_AGAIN, WS_UNAUTHENTICATED

log = logging.getLogger("goldentime.hub")

Filter = Callable[[str, dict[str, object]], bool]
SnapshotBuilder = Callable[[], Awaitable[list[str]]]
CLOSE_TIMEOUT_S = 2.0
MAX_BATCH = 128
QUEUE_FRAMES = 4096
"""A client's queue bound in frames: with one frame per entity (see :class:`FrameQueue`)
a client falls this far behind only when thousands of incidents change at once."""
MAX_QUEUED_BYTES = 32 * 1024 * 1024
"""…and in text, whatever the frame count (memory per slow client stays bounded)."""
HISTORY_WAIT_S = 10.0
"""How long a connecting client waits for the read model to hold the topics' history before it
is told to come back (1013): a snapshot taken earlier could show what has already ended, and
what the projector reads while catching up is not sent as news."""


def ping_frame(now_s: float | None = None) -> str:
    """The heartbeat frame an idle stream sends: ``{"type": "ping", "data": {"at_ms": …}}``."""
    at_ms = int((time.time() if now_s is None else now_s) * 1000)
    return '{"type":"ping","data":{"at_ms":' + str(at_ms) + "}}"


def batch_frame(frames: list[str]) -> str:
    """Several pre-serialised frames as one ``{"type": "batch", "data": [...]}`` message."""
    return '{"type":"batch","data":[' + ",".join(frames) + "]}"


class FrameQueue:
    """A client's bounded queue of frames to send, in order, where a newer frame of an
    entity already waiting (an incident, an assignment, by its key) takes the waiting
    frame's place instead of queueing behind it: a client that fell behind gets each
    entity's latest state once, not every state it missed (clients keep the newest version
    anyway). Frames without a key (dead letters) always queue.

    Full at ``maxsize`` frames or ``max_bytes`` of text, whichever comes first: then the
    client is dropped (it reconnects to a snapshot)."""

    def __init__(self, maxsize: int, max_bytes: int = MAX_QUEUED_BYTES) -> None:
        self._maxsize = maxsize
        self._max_bytes = max_bytes
        self._bytes = 0
        self._frames: OrderedDict[object, str] = OrderedDict()
        self._unique = itertools.count()
        self._ready = asyncio.Event()
        self.coalesced = 0

    def __len__(self) -> int:
        return len(self._frames)

    def put(self, frame: str, key: str | None = None) -> bool:
        """Queue a frame; False (nothing queued) when full."""
        slot: object = key if key is not None else next(self._unique)
        waiting = self._frames.get(slot)
        grows = len(frame) - (len(waiting) if waiting is not None else 0)
        if self._bytes + grows > self._max_bytes:
            return False
        if waiting is not None:
            self._frames[slot] = frame  # keeps its place in the order
            self.coalesced += 1
        elif len(self._frames) >= self._maxsize:
            return False
        else:
            self._frames[slot] = frame
            self._ready.set()
        self._bytes += grows
        return True

    async def take(self, limit: int) -> list[str]:
        """Up to ``limit`` frames, oldest first, waiting for one."""
        while not self._frames:
            self._ready.clear()
            await self._ready.wait()
        count = min(limit, len(self._frames))
        frames = [self._frames.popitem(last=False)[1] for _ in range(count)]
        self._bytes -= sum(len(f) for f in frames)
        return frames


@dataclass(eq=False)
class Client:
    """One connected socket with its own bounded queue of frames to send."""

    websocket: WebSocket
    accepts: Filter
    queue: FrameQueue = field(default_factory=lambda: FrameQueue(QUEUE_FRAMES))
    dropped: bool = False
    gone: asyncio.Event = field(default_factory=asyncio.Event)
    batch: bool = False
    heartbeat_s: float | None = None


class Hub:
    """Fans pre-serialised frames out to every client whose filter accepts them."""

    def __init__(
        self,
        queue_size: int = QUEUE_FRAMES,
        max_bytes: int = MAX_QUEUED_BYTES,
        history: asyncio.Event | None = None,
        history_wait_s: float = HISTORY_WAIT_S,
    ) -> None:
        """``history`` is set once the read model holds everything the topics held when the
        console started (the projector's catch-up); no snapshot is read before it. Without
        it there is no history to wait for."""
        self._clients: set[Client] = set()
        self._queue_size = queue_size
        self._max_bytes = max_bytes
        self._history = history
        self._history_wait_s = history_wait_s
        self.dropped_slow = 0

    async def history_read(self, websocket: WebSocket) -> bool:
        """Wait until the read model holds the history; False (the socket closed with 1013,
        try again later) when it does not in time."""
        if self._history is None or self._history.is_set():
            return True
        try:
            await asyncio.wait_for(self._history.wait(), self._history_wait_s)
            return True
        except TimeoutError:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(
                    websocket.close(WS_TRY_AGAIN, "console catching up; try again"),
                    CLOSE_TIMEOUT_S,
                )
            return False

    @property
    def client_count(self) -> int:
        """Connected clients."""
        return len(self._clients)

    def publish(
        self, kind: str, data: dict[str, object], frame: str, key: str | None = None
    ) -> None:
        """Queue ``frame`` for every interested client; drop clients whose queue is full.

        ``key`` names the entity the frame is the state of (see :class:`FrameQueue`)."""
        slot = f"{kind}:{key}" if key is not None else None
        for client in list(self._clients):
            if client.dropped or not client.accepts(kind, data):
                continue
            if not client.queue.put(frame, slot):
                self._drop(client)

    @property
    def coalesced(self) -> int:
        """Frames that replaced an older waiting frame of the same entity (connected clients)."""
        return sum(c.queue.coalesced for c in self._clients)

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
        heartbeat_s: float | None = None,
        until: Callable[[], Coroutine[Any, Any, str]] | None = None,
    ) -> None:
        """Send the snapshot then deltas until the client leaves or is dropped, or ``until``
        returns (why the client's credentials are no longer good: closed with 4401).

        No snapshot is read before the read model holds the history (:meth:`history_read`).
        A snapshot builder is awaited after the client is subscribed, so no delta published
        while the snapshot is read is lost (a delta may repeat what the snapshot holds; every
        entity carries a version or time, and clients keep the newest).

        With ``batch`` (the client asked for it), frames that queued up while the client was
        being served go out together as one ``{"type": "batch", "data": [frame, …]}`` message,
        so a backlog costs one send instead of many; an idle stream still sends single frames.
        Either way a backlog holds each entity once, at its latest state (:class:`FrameQueue`).

        With ``heartbeat_s``, a stream idle that long sends a ping frame (:func:`ping_frame`),
        so the client can tell a quiet city from a dead link.

        Sending runs in its own task, so a client dropped while its socket is stuck (it
        stopped reading) is closed at once instead of after its buffers drain.
        """
        if not await self.history_read(websocket):
            return
        client = Client(websocket, accepts, FrameQueue(self._queue_size, self._max_bytes))
        client.batch = batch
        client.heartbeat_s = heartbeat_s
        self._clients.add(client)
        try:
            first = snapshot if isinstance(snapshot, list) else await snapshot()
        except BaseException:
            self._clients.discard(client)
            raise
        tasks: set[asyncio.Task[Any]] = {
            asyncio.create_task(self._send_loop(client, first), name="ws-sender"),
            asyncio.create_task(self._drain_incoming(websocket), name="ws-receiver"),
            asyncio.create_task(client.gone.wait(), name="ws-dropped"),
        }
        watcher = asyncio.create_task(until(), name="ws-credentials") if until else None
        if watcher is not None:
            tasks.add(watcher)
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            if watcher in done and not watcher.cancelled() and watcher.exception() is None:
                self._clients.discard(client)
                for task in tasks:
                    task.cancel()
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(
                        websocket.close(WS_UNAUTHENTICATED, watcher.result()), CLOSE_TIMEOUT_S
                    )
            elif client.dropped:
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
        """Send ``first`` then queued frames in order until the client disconnects."""
        with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
            for frame in first:
                await client.websocket.send_text(frame)
            limit = MAX_BATCH if client.batch else 1
            while True:
                if client.heartbeat_s is None:
                    frames = await client.queue.take(limit)
                else:
                    try:
                        frames = await asyncio.wait_for(
                            client.queue.take(limit), client.heartbeat_s
                        )
                    except TimeoutError:
                        await client.websocket.send_text(ping_frame())
                        continue
                if len(frames) == 1:
                    await client.websocket.send_text(frames[0])
                else:
                    await client.websocket.send_text(batch_frame(frames))

    @staticmethod
    async def _drain_incoming(websocket: WebSocket) -> None:
        """Read (and ignore) what the client sends, so a close is noticed promptly."""
        with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
            while True:
                message = await websocket.receive()
                if message.get("type") == "websocket.disconnect":
                    return
