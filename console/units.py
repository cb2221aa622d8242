"""The fleet as the console sees it: its own projection of ``unit-status`` plus the worker's."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import redis.asyncio as aioredis

from console.outputs import UNITS
from console.readmodel import ReadModel

__all__ = ["fleet_snapshot", "status_since", "unit_state", "with_status_since"]


async def fleet_snapshot(
    readmodel: ReadModel,
    client: aioredis.Redis,
    namespace: str,
    projected: list[dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """Latest state of every known unit by id (the console's projection wins)."""
    units = {u["unit_id"]: u for u in await _worker_units(client, namespace)}
    for u in projected if projected is not None else await readmodel.active(UNITS):
        units[u["unit_id"]] = u
    return [units[k] for k in sorted(units)]


async def unit_state(
    readmodel: ReadModel, client: aioredis.Redis, namespace: str, unit_id: str
) -> dict[str, Any] | None:
    """Latest state of one unit, or None when it never reported."""
    mine = await readmodel.get(UNITS, unit_id)
    if mine is not None:
        return mine
    raw = await client.hget(f"{namespace}:units", unit_id)
    return _json_dict(raw) if raw is not None else None


def status_since(unit: dict[str, Any] | None, held: tuple[str, int] | None) -> str | None:
    """When ``unit`` entered the status it reports (RFC 3339), from what the read model
    ``held`` for it; None when that is not known or is of another status.

    >>> status_since({"status": "transporting"}, ("transporting", 1765015200000))
    '2025-12-06T10:00:00+00:00'
    >>> status_since({"status": "at_hospital"}, ("transporting", 1765015200000)) is None
    True
    """
    if unit is None or held is None or held[0] != unit.get("status"):
        return None
    return datetime.fromtimestamp(held[1] / 1000, UTC).isoformat()


async def with_status_since(
    readmodel: ReadModel, units: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """``units`` each with ``status_since`` where it is known, in one round trip."""
    held = await readmodel.status_since(UNITS, [str(u["unit_id"]) for u in units])
    out = []
    for u in units:
        since = status_since(u, held.get(str(u["unit_id"])))
        out.append({**u, "status_since": since} if since else u)
    return out


async def _worker_units(client: aioredis.Redis, namespace: str) -> list[dict[str, Any]]:
    key = f"{namespace}:units"
    if await client.type(key) not in (b"hash", "hash"):
        return []  # absent, or some other layout: the console's projection is enough
    out = []
    for raw in (await client.hgetall(key)).values():
        unit = _json_dict(raw)
        if unit is not None and "unit_id" in unit and "status" in unit:
            out.append(unit)
    return out


def _json_dict(raw: bytes | str) -> dict[str, Any] | None:
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None
