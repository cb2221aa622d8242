"""The console's projection of a batch of output messages, against the real Valkey: the
read model's writes go in one round trip, yet each message is applied (or refused) as it
would be alone, in order, and only what was stored is told to the sockets."""

from __future__ import annotations

from typing import Any

import orjson
import redis.asyncio as aioredis

from console.hub import Hub
from console.metrics import ConsoleMetrics
from console.outputs import OutputProjection
from console.readmodel import ReadModel
from stack.settings import Settings


class Told(Hub):
    """The hub, recording what it is asked to publish (no sockets needed for that)."""

    def __init__(self) -> None:
        super().__init__()
        self.told: list[tuple[str, Any]] = []

    def publish(self, kind: str, data: dict[str, Any], frame: str, key: str | None = None) -> None:
        self.told.append((kind, key))


def incident(version: int, status: str = "open") -> bytes:
    return orjson.dumps({"id": "INC-1", "version": version, "status": status, "type": "fire"})


def assignment(unit: str, status: str) -> bytes:
    return orjson.dumps({"incident_id": "INC-1", "unit_id": unit, "status": status})


async def test_a_batch_is_applied_in_order_and_only_news_is_told(settings: Settings) -> None:
    redis = aioredis.from_url(settings.redis_url)
    ns = settings.namespace
    model, hub = ReadModel(redis, ns), Told()
    project = OutputProjection(model, hub, ConsoleMetrics())
    try:
        await project(
            [
                ("incidents", incident(2), True),
                ("incidents", incident(1), True),  # older than what is stored: not news
                ("assignments", assignment("E-1", "assigned"), True),
                ("assignments", assignment("A-1", "assigned"), False),  # history: stored, quiet
                ("assignments", assignment("A-1", "cancelled"), True),
                ("incidents", b"not json", True),
                ("assignments", orjson.dumps({"unit_id": "X"}), True),  # no incident: refused
                ("deadletter", orjson.dumps({"error": "bad"}), True),
                ("incidents", incident(3, "resolved"), True),
            ]
        )
        assert hub.told == [
            ("incident", "INC-1"),
            ("assignment", "INC-1|E-1"),
            ("assignment", "INC-1|A-1"),
            ("deadletter", None),
            ("incident", "INC-1"),
        ]
        stored = await model.get("incidents", "INC-1")
        assert stored is not None and stored["version"] == 3
        assert await model.active("incidents") == []  # resolved
        assert {a["unit_id"] for a in await model.active("assignments")} == {"E-1"}
        tracked = await redis.hgetall(f"{ns}:unit-assignment")
        assert tracked == {b"E-1": b"INC-1"}  # A-1's assignment was cancelled
        await project([])  # nothing to write: no round trip, no error
    finally:
        await redis.aclose()
