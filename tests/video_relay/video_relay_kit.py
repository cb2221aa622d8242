"""Sample cameras and the handle of a relay under test (shared by the video relay tests)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import redis.asyncio as aioredis
import uvicorn
from fastapi import FastAPI

from access import Role, TokenAuthority
from video_relay.relay import Relay

SECRET = b"video-relay-test-secret-0123456789"
INGEST_SECRET = b"video-relay-ingest-secret-012345"


@dataclass(frozen=True)
class SampleCamera:
    """A city camera as geo would give it."""

    id: str
    lon: float
    lat: float
    purpose: str = "방범"
    owner: str = "서울특별시 중구"
    direction_deg: float | None = None
    district: str | None = "중구"


CITY_HALL = SampleCamera("CAM-JG-0001", 126.9780, 37.5665, direction_deg=90.0)
PLAZA = SampleCamera("CAM-JG-0002", 126.9770, 37.5660)
STATION = SampleCamera("CAM-JG-0003", 126.9720, 37.5550)
SAMPLE_CAMERAS = (CITY_HALL, PLAZA, STATION)


@dataclass
class RelayHandle:
    """A relay listening on a real socket, and the means to talk to it."""

    app: FastAPI
    port: int
    authority: TokenAuthority
    redis: aioredis.Redis
    namespace: str
    server: uvicorn.Server
    task: asyncio.Task[None]
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def relay(self) -> Relay:
        relay: Relay = self.app.state.relay
        return relay

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def ws(self, path: str) -> str:
        return f"ws://127.0.0.1:{self.port}{path}"

    def token(self, role: Role, subject: str = "tester", unit_id: str | None = None) -> str:
        return self.authority.mint(role, subject, unit_id=unit_id)

    def ingest_token(self, camera_id: str) -> str:
        return self.relay.registry.fixed_ingest_token(camera_id)


StartRelay = Callable[..., Awaitable[RelayHandle]]
