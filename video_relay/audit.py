"""The viewing audit: every session (who, camera, incident or reason, start, end) in Redis.

Each session writes two entries to the stream ``{ns}:audit:video`` — ``start`` when it
begins and ``end`` (complete, self-contained) when it ends — and sits in the hash
``{ns}:audit:video:open`` in between, so a query finds sessions still running however
long ago they began, and a relay that crashed leaves its sessions visibly unended.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from video_relay.errors import StoreUnavailable

__all__ = ["AuditLog", "ViewingRefusal", "ViewingSession", "merge_sessions", "rfc3339"]

REFUSALS_KEPT = 100_000  # refusals can be provoked by anyone: keep the newest, not all


def rfc3339(epoch_s: float) -> str:
    """An RFC 3339 time with offset, millisecond precision."""
    return datetime.fromtimestamp(epoch_s, UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True, slots=True)
class ViewingSession:
    """One viewer watching one camera, from start to end."""

    session_id: str
    camera_id: str
    subject: str
    role: str
    unit_id: str | None
    token_id: str
    incident_id: str | None
    reason: str | None
    peer: str | None
    started_at: str
    ended_at: str | None = None
    end_code: int | None = None
    frames_sent: int = 0
    frames_dropped: int = 0
    bytes_sent: int = 0

    def to_json(self) -> dict[str, Any]:
        """The session as a plain JSON object."""
        return asdict(self)

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> ViewingSession:
        """Rebuild a session from :meth:`to_json` output (unknown keys ignored)."""
        known = {k: value[k] for k in cls.__dataclass_fields__ if k in value}
        return cls(**known)

    def ended(
        self, ended_at: str, code: int, sent: int, dropped: int, sent_bytes: int
    ) -> ViewingSession:
        """This session closed at ``ended_at`` with its delivery counts."""
        return replace(
            self,
            ended_at=ended_at,
            end_code=code,
            frames_sent=sent,
            frames_dropped=dropped,
            bytes_sent=sent_bytes,
        )


@dataclass(frozen=True, slots=True)
class ViewingRefusal:
    """A viewing attempt the relay refused, and who made it when that is known."""

    camera_id: str
    code: int
    detail: str
    at: str
    subject: str | None = None
    role: str | None = None
    unit_id: str | None = None
    token_id: str | None = None
    incident_id: str | None = None
    reason: str | None = None
    peer: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The refusal as a plain JSON object."""
        return asdict(self)

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> ViewingRefusal:
        """Rebuild a refusal from :meth:`to_json` output (unknown keys ignored)."""
        known = {k: value[k] for k in cls.__dataclass_fields__ if k in value}
        return cls(**known)


def merge_sessions(
    events: Iterable[tuple[str, ViewingSession]],
    still_open: Iterable[ViewingSession],
    camera_id: str | None = None,
) -> list[ViewingSession]:
    """Sessions from stream events and open sessions: an end wins over its start; by start."""
    by_id: dict[str, ViewingSession] = {}
    for session in still_open:
        by_id.setdefault(session.session_id, session)
    for kind, session in events:
        if kind == "end" or session.session_id not in by_id:
            by_id[session.session_id] = session
    chosen = (s for s in by_id.values() if camera_id is None or s.camera_id == camera_id)
    return sorted(chosen, key=lambda s: (s.started_at, s.session_id))


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


class AuditLog:
    """Writes and reads viewing sessions in Redis."""

    def __init__(self, client: aioredis.Redis, namespace: str) -> None:
        self._client = client
        self.stream_key = f"{namespace}:audit:video"
        self.open_key = f"{namespace}:audit:video:open"
        self.refused_key = f"{namespace}:audit:video:refused"

    async def started(self, session: ViewingSession) -> None:
        """Record that a session began; raise :class:`StoreUnavailable` if it cannot be."""
        body = json.dumps(session.to_json(), ensure_ascii=False)
        try:
            async with self._client.pipeline(transaction=True) as pipe:
                pipe.hset(self.open_key, session.session_id, body)
                pipe.xadd(self.stream_key, {"event": "start", "session": body})
                await pipe.execute()
        except (RedisError, OSError) as exc:
            raise StoreUnavailable(f"audit log unavailable: {exc}") from exc

    async def ended(self, session: ViewingSession) -> None:
        """Record that a session ended; raise :class:`StoreUnavailable` if it cannot be."""
        body = json.dumps(session.to_json(), ensure_ascii=False)
        try:
            async with self._client.pipeline(transaction=True) as pipe:
                pipe.xadd(self.stream_key, {"event": "end", "session": body})
                pipe.hdel(self.open_key, session.session_id)
                await pipe.execute()
        except (RedisError, OSError) as exc:
            raise StoreUnavailable(f"audit log unavailable: {exc}") from exc

    async def sessions(
        self, *, camera_id: str | None = None, since_s: float | None = None, limit: int = 5000
    ) -> list[ViewingSession]:
        """Sessions active at or after ``since_s`` (epoch seconds), optionally of one camera."""
        start = f"{int(since_s * 1000)}-0" if since_s is not None else "-"
        events: list[tuple[str, ViewingSession]] = []
        try:
            while len(events) < limit * 2:
                batch = await self._client.xrange(self.stream_key, min=start, max="+", count=1000)
                if not batch:
                    break
                for _entry_id, fields in batch:
                    decoded = {_text(k): _text(v) for k, v in (fields or {}).items()}
                    session = ViewingSession.from_json(json.loads(decoded["session"]))
                    events.append((decoded["event"], session))
                start = "(" + _text(batch[-1][0])
            raw_open = await self._client.hgetall(self.open_key)
        except (RedisError, OSError) as exc:
            raise StoreUnavailable(f"audit log unavailable: {exc}") from exc
        still_open = [ViewingSession.from_json(json.loads(_text(v))) for v in raw_open.values()]
        return merge_sessions(events, still_open, camera_id)[:limit]

    async def refused(self, refusal: ViewingRefusal) -> None:
        """Record a refused attempt (best effort: a refusal stands even if unrecorded)."""
        body = json.dumps(refusal.to_json(), ensure_ascii=False)
        try:
            await self._client.xadd(
                self.refused_key, {"refusal": body}, maxlen=REFUSALS_KEPT, approximate=True
            )
        except (RedisError, OSError):
            return

    async def refusals(
        self, *, camera_id: str | None = None, since_s: float | None = None, limit: int = 5000
    ) -> list[ViewingRefusal]:
        """Refused attempts at or after ``since_s``, optionally of one camera, oldest first."""
        start = f"{int(since_s * 1000)}-0" if since_s is not None else "-"
        found: list[ViewingRefusal] = []
        try:
            while len(found) < limit:
                batch = await self._client.xrange(self.refused_key, min=start, max="+", count=1000)
                if not batch:
                    break
                for _entry_id, fields in batch:
                    decoded = {_text(k): _text(v) for k, v in (fields or {}).items()}
                    refusal = ViewingRefusal.from_json(json.loads(decoded["refusal"]))
                    if camera_id is None or refusal.camera_id == camera_id:
                        found.append(refusal)
                start = "(" + _text(batch[-1][0])
        except (RedisError, OSError) as exc:
            raise StoreUnavailable(f"audit log unavailable: {exc}") from exc
        return found[:limit]
