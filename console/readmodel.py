"""The console's read model in Redis: latest incidents, assignments, overlays and alerts.

Written by every console replica from the output topics, guarded by version so a lagging
replica never overwrites newer state; read for snapshots and REST queries.
"""

from __future__ import annotations

import time
from typing import Any

import orjson
import redis.asyncio as aioredis

UPSERT_IF_NEWER = """
local current = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '-1')
local version = tonumber(ARGV[2])
if version < current then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
if ARGV[4] == '1' then
  redis.call('SADD', KEYS[3], ARGV[1])
  redis.call('ZREM', KEYS[4], ARGV[1])
elseif redis.call('SREM', KEYS[3], ARGV[1]) == 1 then
  redis.call('ZADD', KEYS[4], ARGV[5], ARGV[1])
  redis.call('ZREMRANGEBYRANK', KEYS[4], 0, -1 - tonumber(ARGV[6]))
end
return 1
"""

TRACK_UNIT = """
if ARGV[3] == 'assigned' then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
elseif ARGV[3] == 'cancelled' and redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
  redis.call('HDEL', KEYS[1], ARGV[1])
end
return 0
"""

UPSERT_KEEPING = """
local current = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '-1')
if tonumber(ARGV[2]) < current then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
if ARGV[3] == '' then
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('SREM', KEYS[3], ARGV[1])
  return 1
end
if ARGV[4] == '1' and redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 1 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('SADD', KEYS[3], ARGV[1])
return 1
"""

FOLLOW = """
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
if redis.call('HEXISTS', KEYS[4], ARGV[1]) == 0 then return 0 end
if redis.call('SISMEMBER', KEYS[5], ARGV[1]) == 1 then
  redis.call('SADD', KEYS[2], ARGV[1])
  redis.call('ZREM', KEYS[3], ARGV[1])
elseif redis.call('SREM', KEYS[2], ARGV[1]) == 1 then
  redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
  redis.call('ZREMRANGEBYRANK', KEYS[3], 0, -1 - tonumber(ARGV[3]))
end
return 1
"""

STATUS_SINCE = """
if tonumber(ARGV[3]) < tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '-1') then return 0 end
local held = redis.call('HGET', KEYS[1], ARGV[1])
if held then
  local status, at = string.match(held, '^(.*)|(%d+)$')
  if status == ARGV[2] or tonumber(ARGV[3]) < tonumber(at) then return 0 end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. '|' .. ARGV[3])
return 1
"""

ACTIVE_INCIDENT = frozenset({"open", "dispatched", "on_scene"})
ACTIVE_ALERT = frozenset({"draft", "approved", "sent"})
ENDED_KEPT = 2000
"""How many of the latest entities of a kind to end (active, then not) are remembered, so a
client that reconnects can be told what ended while it was away."""


class ReadModel:
    """Latest state per entity, shared by all console replicas through Redis."""

    def __init__(self, client: aioredis.Redis, namespace: str) -> None:
        self._r = client
        self._ns = namespace
        self._upsert = client.register_script(UPSERT_IF_NEWER)
        self._track = client.register_script(TRACK_UNIT)
        self._keeping = client.register_script(UPSERT_KEEPING)
        self._follow = client.register_script(FOLLOW)
        self._since = client.register_script(STATUS_SINCE)

    def _keys(self, kind: str) -> list[str]:
        base = f"{self._ns}:{kind}"
        return [base, f"{base}:ver", f"{base}:active", f"{base}:ended"]

    def batch(self) -> WriteBatch:
        """Writes to send together (one round trip for a whole batch of messages)."""
        return WriteBatch(self)

    async def active(self, kind: str) -> list[dict[str, Any]]:
        """Every active entity of a kind (open incidents, current alerts…)."""
        data, _, active, _ = self._keys(kind)
        ids = sorted(await self._r.smembers(active))
        if not ids:
            return []
        values = await self._r.hmget(data, ids)
        return [orjson.loads(v) for v in values if v is not None]

    async def active_many(self, kinds: tuple[str, ...]) -> dict[str, list[dict[str, Any]]]:
        """Every active entity of several kinds in two round trips (for snapshots)."""
        pipe = self._r.pipeline(transaction=False)
        for kind in kinds:
            pipe.smembers(self._keys(kind)[2])
        id_sets = await pipe.execute()
        pipe = self._r.pipeline(transaction=False)
        wanted = []
        for kind, ids in zip(kinds, id_sets, strict=True):
            if ids:
                pipe.hmget(self._keys(kind)[0], sorted(ids))
                wanted.append(kind)
        values = await pipe.execute() if wanted else []
        out: dict[str, list[dict[str, Any]]] = {kind: [] for kind in kinds}
        for kind, rows in zip(wanted, values, strict=True):
            out[kind] = [orjson.loads(v) for v in rows if v is not None]
        return out

    async def ended(
        self, kind: str, since_s: float, limit: int = ENDED_KEPT
    ) -> list[dict[str, Any]]:
        """The latest state of each entity of a kind that stopped being active at or after
        ``since_s`` (seconds since the epoch), oldest first, at most ``limit``."""
        data, _, _, ended = self._keys(kind)
        found = await self._r.zrangebyscore(ended, int(since_s * 1000), "+inf", start=0, num=limit)
        ids = [i for i in found if isinstance(i, bytes | str)]
        if not ids:
            return []
        values = await self._r.hmget(data, ids)
        return [orjson.loads(v) for v in values if v is not None]

    async def silenced(self, silence_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
        """The alert records each silence suppressed (marked ``silenced_by`` it), by silence."""
        pipe = self._r.pipeline(transaction=False)
        for silence_id in silence_ids:
            pipe.smembers(f"{self._ns}:silenced:{silence_id}")
        id_sets = await pipe.execute() if silence_ids else []
        out: dict[str, list[dict[str, Any]]] = {}
        for silence_id, ids in zip(silence_ids, id_sets, strict=True):
            values = await self._r.hmget(f"{self._ns}:alerts", sorted(ids)) if ids else []
            out[silence_id] = [orjson.loads(v) for v in values if v is not None]
        return out

    async def many(self, kind: str, keys: list[str]) -> list[dict[str, Any]]:
        """The entities of a kind with these keys (those stored), in one round trip."""
        if not keys:
            return []
        values = await self._r.hmget(f"{self._ns}:{kind}", keys)
        return [orjson.loads(v) for v in values if v is not None]

    async def series_many(self, name: str, keys: list[str]) -> dict[str, list[dict[str, Any]]]:
        """The entries of the time series ``name`` of each key (see
        :meth:`WriteBatch.keep_series`), oldest first, in one round trip."""
        if not keys:
            return {}
        pipe = self._r.pipeline(transaction=False)
        for key in keys:
            pipe.zrange(f"{self._ns}:{name}:{key}", 0, -1)
        rows = await pipe.execute()
        return {k: [orjson.loads(v) for v in r] for k, r in zip(keys, rows, strict=True) if r}

    async def status_since(self, kind: str, keys: list[str]) -> dict[str, tuple[str, int]]:
        """The status each entity of ``kind`` with these keys is in and since when (epoch
        ms), as :meth:`WriteBatch.mark_status_since` kept it (those never marked left out)."""
        if not keys:
            return {}
        held = await self._r.hmget(f"{self._ns}:{kind}:since", keys)
        out = {}
        for key, value in zip(keys, held, strict=True):
            if value is not None:
                text = value.decode() if isinstance(value, bytes) else str(value)
                status, _, at = text.rpartition("|")
                out[key] = (status, int(at))
        return out

    async def get(self, kind: str, key: str) -> dict[str, Any] | None:
        """One entity by key."""
        value = await self._r.hget(f"{self._ns}:{kind}", key)
        return orjson.loads(value) if value is not None else None

    async def all(self, kind: str, limit: int = 5000) -> list[dict[str, Any]]:
        """Up to ``limit`` entities of a kind, active or not."""
        values = []
        async for _, value in self._r.hscan_iter(f"{self._ns}:{kind}", count=500):
            values.append(orjson.loads(value))
            if len(values) >= limit:
                break
        return values


class WriteBatch:
    """Read-model writes queued in one pipeline, applied in order by :meth:`execute`."""

    def __init__(self, model: ReadModel) -> None:
        self._model = model
        self._pipe = model._r.pipeline(transaction=False)
        self._count = 0

    def _script(self, script: Any, keys: list[str], args: list[Any]) -> int:
        self._pipe.scripts.add(script)  # loaded by execute() if the server lacks it
        self._pipe.evalsha(script.sha, len(keys), *keys, *args)
        self._count += 1
        return self._count - 1

    def upsert(self, kind: str, key: str, version: int, active: bool, data: bytes) -> int:
        """Store ``data`` unless a newer version is stored; the index of the result (1 when
        stored) in what :meth:`execute` returns."""
        ended_at_ms = int(time.time() * 1000)
        args = [key, version, data, "1" if active else "0", ended_at_ms, ENDED_KEPT]
        return self._script(self._model._upsert, self._model._keys(kind), args)

    def upsert_keeping(
        self, kind: str, key: str, version: int, data: bytes | None, keep_stored: bool
    ) -> int:
        """Store ``data`` as the active entity ``key`` unless a newer version is stored; with
        ``keep_stored`` an entity already stored stays as it is (the view it was first shown
        with); ``data`` None removes it. The index of the result (1 when applied)."""
        keys = self._model._keys(kind)[:3]
        args = [key, version, data or b"", "1" if keep_stored else "0"]
        return self._script(self._model._keeping, keys, args)

    def follow(self, kind: str, key: str, leader: str) -> None:
        """Make the stored entity ``key`` of ``kind`` active exactly while the entity of the
        same key of ``leader`` is (nothing changes while either is unknown), so what lives
        only as long as, say, its incident leaves the active set when the incident ends,
        whichever of the two records arrives first."""
        data, _, active, ended = self._model._keys(kind)
        _, leader_ver, leader_active, _ = self._model._keys(leader)
        keys = [data, active, ended, leader_ver, leader_active]
        self._script(self._model._follow, keys, [key, int(time.time() * 1000), ENDED_KEPT])

    def keep_series(
        self, name: str, key: str, entries: list[tuple[int, bytes]], keep_from: int, limit: int
    ) -> None:
        """Add ``(score, member)`` entries to the time series ``name`` of ``key`` (a member
        added twice is kept once), dropping those scored below ``keep_from`` and all but the
        newest ``limit``."""
        if not entries:
            return
        series = f"{self._model._ns}:{name}:{key}"
        self._pipe.zadd(series, {member: score for score, member in entries})
        self._pipe.zremrangebyscore(series, "-inf", f"({keep_from}")
        self._pipe.zremrangebyrank(series, 0, -1 - limit)
        self._count += 3

    def read_series(self, name: str, key: str) -> int:
        """Read the time series ``name`` of ``key`` as the writes queued before leave it: the
        index of its members, oldest first, in what :meth:`execute` returns."""
        self._pipe.zrange(f"{self._model._ns}:{name}:{key}", 0, -1)
        self._count += 1
        return self._count - 1

    def mark_status_since(self, kind: str, key: str, status: str, at_ms: int) -> None:
        """Keep when the entity ``key`` of ``kind`` entered its current ``status`` (see
        :meth:`ReadModel.status_since`): a report of the same status, or one older than the
        entity's latest stored (queue this before that report's :meth:`upsert`), changes
        nothing."""
        since = f"{self._model._ns}:{kind}:since"
        latest = self._model._keys(kind)[1]
        self._script(self._model._since, [since, latest], [key, status, at_ms])

    def put_incident(self, incident: dict[str, Any], raw: bytes) -> int:
        """Store an incident state (see :meth:`upsert`)."""
        version = int(incident.get("version", 1))
        active = incident["status"] in ACTIVE_INCIDENT
        return self.upsert("incidents", incident["id"], version, active, raw)

    def track_unit_assignment(self, unit_id: str, incident_id: str, status: str) -> None:
        """Keep ``{ns}:unit-assignment`` (unit → incident it is assigned to) current; the video
        relay lets a crew view only the cameras of that incident."""
        key = f"{self._model._ns}:unit-assignment"
        self._script(self._model._track, [key], [unit_id, incident_id, status])

    def note_silenced(self, silence_id: str, alert_id: str) -> None:
        """Remember that a silence suppressed this alert (see :meth:`ReadModel.silenced`)."""
        self._pipe.sadd(f"{self._model._ns}:silenced:{silence_id}", alert_id)
        self._count += 1

    def release_unit(self, unit_id: str) -> None:
        """A unit that is available again (or out of service) has no incident."""
        self._pipe.hdel(f"{self._model._ns}:unit-assignment", unit_id)
        self._count += 1

    async def execute(self) -> list[Any]:
        """Apply every queued write, in order; their results."""
        if not self._count:
            return []
        return list(await self._pipe.execute())
