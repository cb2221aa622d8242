"""The audit trail of dispatcher actions: an append-only Redis stream per deployment."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import redis.asyncio as aioredis

from console.proxies import CLIENT_ADDRESS

__all__ = ["AuditLog", "AuditRecord"]

MAX_AUDIT_ENTRIES = 1_000_000


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """Who did what to which target, when and why, under which command id."""

    at: str
    who: str
    role: str
    action: str
    target: str
    command_id: str
    reason: str = ""
    outcome: str = "requested"
    client: str = ""
    """The client's address (behind trusted proxies, the real one); the request's when empty."""


class AuditLog:
    """Appends and reads audit records in the Redis stream ``{namespace}:audit``."""

    def __init__(self, client: aioredis.Redis, namespace: str) -> None:
        self._r = client
        self.key = f"{namespace}:audit"

    async def append(self, record: AuditRecord) -> str:
        """Append one record; return its stream id."""
        fields: dict[Any, Any] = asdict(record)
        fields["client"] = record.client or CLIENT_ADDRESS.get()
        entry_id = await self._r.xadd(self.key, fields, maxlen=MAX_AUDIT_ENTRIES, approximate=True)
        return entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)

    async def recent(self, limit: int = 200) -> list[dict[str, str]]:
        """The newest ``limit`` records, newest first, each with its stream id."""
        rows = await self._r.xrevrange(self.key, count=max(1, min(limit, 5000)))
        out = []
        for entry_id, fields in rows or []:
            record = {_text(k): _text(v) for k, v in (fields or {}).items()}
            record["entry_id"] = _text(entry_id)
            out.append(record)
        return out


def _text(value: bytes | str | None) -> str:
    if value is None:
        return ""
    return value.decode() if isinstance(value, bytes) else value
