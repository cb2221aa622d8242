"""What the console's route modules share: the gate, read model, hub, producer and caches."""

from __future__ import annotations

from dataclasses import dataclass

import redis.asyncio as aioredis

from access import Role
from console.audit import AuditLog
from console.auth import Gate
from console.hub import Hub
from console.kafka_link import KafkaLink
from console.layers import LayerCache
from console.metrics import ConsoleMetrics
from console.readmodel import ReadModel
from streams.topics import Topics

__all__ = ["DISPATCH", "Context"]

DISPATCH = (Role.DISPATCHER, Role.SUPERVISOR)
"""Roles that may see and act on incidents, units and alerts."""


@dataclass(frozen=True)
class Context:
    """The running console's shared parts (one per app)."""

    gate: Gate
    readmodel: ReadModel
    hub: Hub
    kafka: KafkaLink
    topics: Topics
    audit: AuditLog
    layers: LayerCache
    metrics: ConsoleMetrics
    redis: aioredis.Redis
    namespace: str
    video_port: int = 0  # the video relay's port on the same host (0: no relay)
