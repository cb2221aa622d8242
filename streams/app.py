"""The Faust worker: validate inputs, dead-letter the bad ones, fuse evidence into incidents."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import faust
import orjson
import redis.asyncio as aioredis

from geo import City
from stack.settings import Settings
from streams.contract import ContractError, UnitStatus, decode, encode
from streams.deadletter import dead_letter
from streams.evidence import Evidence
from streams.faust_tuning import set_fetch_max_wait_ms
from streams.fusion import ACTIVE, IncidentState, absorb, match, open_incident
from streams.intake import Intake, ServiceArea
from streams.topics import Topics
from streams.zones import zone_key

log = logging.getLogger("goldentime.worker")

RAW: dict[str, Any] = {
    "key_type": bytes,
    "value_type": bytes,
    "key_serializer": "raw",
    "value_serializer": "raw",
}
RETRIES = 3


def create_app(settings: Settings, city: City) -> faust.App:
    """A Faust app wired to this deployment's topics, tables and cache."""
    topics = Topics(settings.topic_prefix)
    set_fetch_max_wait_ms(settings.fetch_max_wait_ms)
    app = faust.App(
        f"goldentime-{settings.topic_prefix or 'main'}",
        broker=f"kafka://{settings.kafka_bootstrap}",
        store="memory://",
        topic_partitions=settings.partitions,
        topic_replication_factor=settings.replication_factor,
        broker_rebalance_timeout=settings.rebalance_timeout_s,
        broker_session_timeout=max(6.0, settings.rebalance_timeout_s * 2),
        broker_heartbeat_interval=1.0,
        web_enabled=False,
        datadir=str(settings.worker_state_dir / settings.worker_id),
        producer_acks=-1,
        consumer_auto_offset_reset="earliest",
        topic_allow_declare=True,
        producer_linger=0.0,
    )
    intake = Intake(
        ServiceArea.around(city.bbox),
        {cam.id: (cam.lon, cam.lat) for cam in city.cameras},
        clock=lambda: datetime.now(UTC),
    )
    inputs = {
        base: app.topic(topics.name(base), **RAW)
        for base in ("calls", "cctv-events", "sensor-alarms", "unit-status")
    }
    evidence_topic = app.topic(topics.evidence, **RAW)
    incidents_topic = app.topic(topics.incidents, **RAW)
    deadletter_topic = app.topic(topics.deadletter, **RAW)

    seen = app.Table("seen", default=None, key_type=str, partitions=settings.partitions)
    incidents = app.Table("incidents", default=None, key_type=str, partitions=settings.partitions)
    by_region = app.Table("by-region", default=None, key_type=str, partitions=settings.partitions)
    cache: dict[str, aioredis.Redis] = {}
    ns = settings.namespace

    def redis() -> aioredis.Redis:
        if "client" not in cache:
            cache["client"] = aioredis.from_url(settings.redis_url, socket_timeout=5)
        return cache["client"]

    async def send_dead_letter(
        event: faust.types.EventT[bytes], error: str, event_id: str | None, stage: str
    ) -> None:
        record = dead_letter(
            source_topic=event.message.topic,
            partition=event.message.partition,
            offset=event.message.offset,
            payload=event.value,
            error=error,
            event_id=event_id,
            stage=stage,
        )
        delay = 0.2
        while True:  # never drop: stall this partition until the dead letter is written
            try:
                await deadletter_topic.send(key=event.message.topic.encode(), value=encode(record))
                return
            except Exception:
                log.exception("cannot write dead letter; retrying in %.1f s", delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def guarded(
        event: faust.types.EventT[bytes], stage: str, work: Callable[[], Awaitable[None]]
    ) -> None:
        """Run ``work``; bad input and repeated failure end on the dead-letter topic."""
        for attempt in range(RETRIES):
            try:
                await work()
                return
            except ContractError as exc:
                await send_dead_letter(event, exc.reason, exc.event_id, stage)
                return
            except Exception as exc:
                log.exception(
                    "%s failed on %s[%d]@%d (attempt %d)",
                    stage,
                    event.message.topic,
                    event.message.partition,
                    event.message.offset,
                    attempt + 1,
                )
                if attempt == RETRIES - 1:
                    await send_dead_letter(
                        event, f"internal error in {stage}: {exc!r}", None, stage
                    )
                    return
                await asyncio.sleep(0.1 * 2**attempt)

    def intake_agent(base: str) -> None:
        async def process(stream: faust.StreamT[bytes]) -> None:
            async for event in stream.events():

                async def work(event: faust.types.EventT[bytes] = event) -> None:
                    ev = intake.evidence(base, event.value)
                    await evidence_topic.send(
                        key=zone_key(ev.lon, ev.lat).encode(),
                        value=orjson.dumps({"evidence": ev.to_json(), "t_in": time.time()}),
                    )

                await guarded(event, "intake", work)

        app.agent(inputs[base], name=f"intake-{base}")(process)

    for base in ("calls", "cctv-events", "sensor-alarms"):
        intake_agent(base)

    @app.agent(evidence_topic, name="fusion")
    async def fusion(stream: faust.StreamT[bytes]) -> None:
        async for event in stream.events():

            async def work(event: faust.types.EventT[bytes] = event) -> None:
                data = orjson.loads(event.value)
                ev = Evidence.from_json(data["evidence"])
                region = event.key.decode() if event.key else zone_key(ev.lon, ev.lat)
                await fuse(ev, region)

            await guarded(event, "fusion", work)

    async def fuse(ev: Evidence, region: str) -> None:
        if seen.get(ev.key) is not None:
            log.debug("duplicate evidence %s ignored", ev.key)
            return
        if ev.type is None:
            seen[ev.key] = "observed"
            await redis().hset(f"{ns}:observations", ev.key, orjson.dumps(ev.to_json()))
            return
        ids: list[str] = list(by_region.get(region) or [])
        candidates = [IncidentState.from_json(incidents[i]) for i in ids if incidents.get(i)]
        state = match(ev, candidates)
        if state is None:
            district = city.district_at(ev.lon, ev.lat)
            new = open_incident(ev, district.name if district else None)
            live = [c.incident.id for c in candidates if c.incident.status in ACTIVE]
            by_region[region] = [*live, new.incident.id]
        else:
            new = absorb(state, ev)
        incidents[new.incident.id] = new.to_json()
        seen[ev.key] = new.incident.id
        await incidents_topic.send(key=new.incident.id.encode(), value=encode(new.incident))

    @app.agent(inputs["unit-status"], name="unit-status")
    async def unit_status(stream: faust.StreamT[bytes]) -> None:
        async for event in stream.events():

            async def work(event: faust.types.EventT[bytes] = event) -> None:
                status = decode(UnitStatus, event.value)
                await redis().hset(f"{ns}:units", status.unit_id, encode(status))

            await guarded(event, "unit-status", work)

    @app.timer(2.0, name="heartbeat")  # type: ignore[untyped-decorator]
    async def heartbeat() -> None:
        assigned = sorted(f"{tp.topic}:{tp.partition}" for tp in app.consumer.assignment())
        beat = {"worker_id": settings.worker_id, "at": time.time(), "assigned": len(assigned)}
        try:
            await redis().hset(f"{ns}:workers", settings.worker_id, orjson.dumps(beat))
        except Exception:
            log.warning("heartbeat: cache unreachable")

    return app
