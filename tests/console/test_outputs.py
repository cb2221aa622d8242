"""The console's projection of a batch of output messages, against the real Valkey: the
read model's writes go in one round trip, yet each message is applied (or refused) as it
would be alone, in order, and only what was stored is told to the sockets."""

from __future__ import annotations

from typing import Any

import orjson
import redis.asyncio as aioredis

from console.diversions import TRAIL
from console.hub import Hub
from console.metrics import ConsoleMetrics
from console.outputs import MCI_PLANS, OutputProjection
from console.readmodel import ReadModel
from stack.settings import Settings
from tests.console.hospital_samples import destination, mci_plan


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


async def test_a_mass_casualty_plan_stays_in_force_only_while_its_incident_does(
    settings: Settings,
) -> None:
    """Snapshots read every plan in force: a plan whose incident ended leaves that set,
    whichever record arrives first, so it does not grow with every incident ever handled."""
    redis = aioredis.from_url(settings.redis_url)
    model, hub = ReadModel(redis, settings.namespace), Told()
    project = OutputProjection(model, hub, ConsoleMetrics())

    def plan(incident_id: str, version: int) -> bytes:
        return orjson.dumps(mci_plan(incident_id, version))

    def state(incident_id: str, version: int, status: str) -> bytes:
        return orjson.dumps({"id": incident_id, "version": version, "status": status})

    async def in_force() -> set[str]:
        return {p["incident_id"] for p in await model.active(MCI_PLANS)}

    try:
        await project([("incidents", state("INC-1", 1, "open"), True)])
        await project([("mci-plans", plan("INC-1", 1), True)])
        await project([("mci-plans", plan("INC-2", 1), True)])  # its incident not seen yet
        assert await in_force() == {"INC-1", "INC-2"}
        await project([("incidents", state("INC-1", 2, "closed"), True)])
        assert await in_force() == {"INC-2"}
        await project([("mci-plans", plan("INC-1", 2), True)])  # a late plan of an ended one
        assert await in_force() == {"INC-2"}
        stored = await model.get(MCI_PLANS, "INC-1")
        assert stored is not None and stored["version"] == 2  # kept, just not in force
        await project([("incidents", state("INC-2", 1, "open"), True)])
        assert await in_force() == {"INC-2"}
        await project([("incidents", state("INC-2", 2, "resolved"), True)])
        assert await in_force() == set()
    finally:
        await redis.aclose()


async def test_replayed_history_reads_no_unit_s_destination_trail(settings: Settings) -> None:
    """Only news needs its unit's trail read back (is it a diversion?): a console catching up
    on the topics' history, which its sockets wait for, keeps each record in the trail
    without reading up to a whole trail back per record."""
    redis = aioredis.from_url(settings.redis_url)
    model, hub = ReadModel(redis, settings.namespace), Told()
    project = OutputProjection(model, hub, ConsoleMetrics())

    async def trail_reads() -> int:
        stats = await redis.info("commandstats")
        return int(stats.get("cmdstat_zrange", {}).get("calls", 0))

    def record(version: int) -> bytes:
        return orjson.dumps(destination("INC-1", "A-1", version=version))

    try:
        start = await trail_reads()
        await project([("destinations", record(v), False) for v in range(1, 6)])
        replayed = await trail_reads() - start
        await project([("destinations", record(6), True)])
        live = await trail_reads() - start - replayed
        assert (replayed, live) == (0, 1)
        assert len((await model.series_many(TRAIL, ["A-1"]))["A-1"]) == 6  # all kept
        assert hub.told == [("destination", "A-1")]
    finally:
        await redis.aclose()
