"""Revoked tokens that stay revoked: a compacted topic is the record, memory the check.

A supervisor revokes a token (a lost phone, a dismissed account) until it would have
expired anyway. The revocation is written to a compacted topic keyed by token id, which
survives a restart of the cache (and of every console); each console replica replays the
topic when it starts and tails it (a new revocation reaches every replica within a poll,
100 ms), refuses every token while the replay is unfinished, and mirrors what it knows
into the cache's ``revoked-tokens`` set each second, where the video relay reads it, so
a cache that restarted empty is refilled within a second.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson
import redis.asyncio as aioredis
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError
from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from access import Principal, Role, TokenError
from console.audit import AuditRecord
from console.context import Context
from streams.transport.offsets import end_offsets

__all__ = ["Revocations", "revocations_router"]

log = logging.getLogger(__name__)

READY_WAIT_S = 5.0


class Revocations:
    """Token ids revoked in this deployment, replayed from and written to the topic."""

    def __init__(
        self,
        bootstrap: str,
        topic: str,
        redis: aioredis.Redis,
        namespace: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._bootstrap = bootstrap
        self.topic = topic
        self._redis = redis
        self._key = f"{namespace}:revoked-tokens"
        self._clock = clock
        self.revoked: dict[str, float] = {}
        """Token id → when the token expires (after that it needs no revocation)."""
        self.ready = asyncio.Event()

    async def is_revoked(self, token_id: str) -> bool:
        """True for a revoked token; raises TokenError while the record is not yet read."""
        if not self.ready.is_set():
            try:
                await asyncio.wait_for(self.ready.wait(), READY_WAIT_S)
            except TimeoutError:
                raise TokenError("revocations not loaded yet; retry shortly") from None
        return token_id in self.revoked

    def apply(self, record: dict[str, Any]) -> None:
        """Take one revocation record in (expired ones are forgotten)."""
        token_id, expires_at = str(record["token_id"]), float(record["expires_at"])
        if expires_at > self._clock():
            self.revoked[token_id] = expires_at

    async def revoke(self, producer: Any, token_id: str, expires_at: float, by: str) -> None:
        """Record a revocation durably, then apply it here and in the cache at once."""
        record = {
            "token_id": token_id,
            "expires_at": expires_at,
            "revoked_by": by,
            "at": datetime.now(UTC).isoformat(),
        }
        await producer.send_and_wait(self.topic, orjson.dumps(record), key=token_id.encode())
        self.apply(record)
        await self._redis.sadd(self._key, token_id)

    async def ensure_topic(self, replication_factor: int = 1) -> None:
        """Create the compacted topic when it does not exist."""
        admin = AIOKafkaAdminClient(bootstrap_servers=self._bootstrap)
        await admin.start()
        try:
            topic = NewTopic(
                self.topic, 1, replication_factor, topic_configs={"cleanup.policy": "compact"}
            )
            await admin.create_topics([topic])
        except TopicAlreadyExistsError:
            pass
        finally:
            await admin.close()

    async def run(self) -> None:
        """Replay the topic, then tail it and mirror into the cache, forever."""
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=100,
        )
        await consumer.start()
        try:
            tp = TopicPartition(self.topic, 0)
            consumer.assign([tp])
            await consumer.seek_to_beginning(tp)
            end = (await end_offsets(self._bootstrap, [tp]))[tp]
            mirrored_at = 0.0
            while True:
                batches = await consumer.getmany(timeout_ms=100, max_records=1000)
                for records in batches.values():
                    for r in records:
                        if r.value is not None:
                            self.apply(orjson.loads(r.value))
                if not self.ready.is_set() and await consumer.position(tp) >= end:
                    self.ready.set()
                if self.ready.is_set() and self._clock() - mirrored_at >= 1.0:
                    mirrored_at = self._clock()
                    await self._mirror()
        finally:
            await consumer.stop()

    async def _mirror(self) -> None:
        now = self._clock()
        for token_id in [t for t, exp in self.revoked.items() if exp <= now]:
            del self.revoked[token_id]
        if self.revoked:
            try:
                await self._redis.sadd(self._key, *self.revoked)
            except (OSError, aioredis.RedisError) as exc:
                log.warning("cannot mirror revocations into the cache: %s", exc)


class Revocation(BaseModel):
    """The token to revoke, or its id and expiry (from the audit or a token list)."""

    model_config = ConfigDict(extra="forbid")

    token: str | None = Field(default=None, max_length=8192)
    token_id: str | None = Field(default=None, max_length=128)
    expires_at: float | None = None


def revocations_router(ctx: Context, revocations: Revocations) -> APIRouter:
    """``POST /api/tokens/revoke`` for supervisors."""
    router = APIRouter()
    supervisor = ctx.gate.require(Role.SUPERVISOR)

    @router.post("/api/tokens/revoke", status_code=202)
    async def revoke(body: Revocation, who: Principal = Depends(supervisor)) -> dict[str, Any]:
        """Revoke a token until it expires; every replica refuses it within a second."""
        if body.token:
            try:
                target = await ctx.gate.authority.averify(body.token)
            except TokenError as exc:
                raise HTTPException(422, f"not a valid token: {exc}") from None
            token_id, expires_at = target.token_id, target.expires_at
        elif body.token_id:
            token_id = body.token_id
            expires_at = body.expires_at or time.time() + 7 * 24 * 3600
        else:
            raise HTTPException(422, "give the token or its token_id")
        try:
            await revocations.revoke(ctx.kafka.producer, token_id, expires_at, who.subject)
        except KafkaError as exc:
            raise HTTPException(503, f"revocation not recorded: {exc}") from None
        now = datetime.now(UTC).isoformat()
        record = AuditRecord(now, who.subject, who.role.value, "revoke-token", token_id, "")
        await ctx.audit.append(record)
        return {"token_id": token_id, "expires_at": expires_at}

    return router
