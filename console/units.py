"""The fleet as the console sees it: its own projection of ``unit-status`` plus the worker's."""

from __future__ import annotations

from typing import Any

import orjson
import redis.asyncio as aioredis

from console.outputs import UNITS
from console.readmodel import ReadModel

__all__ = ["fleet_snapshot", "unit_state"]


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
