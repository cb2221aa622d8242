"""REST: the camera registry (list, register, move, remove) and the supervisor's audit query."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from access import Principal, Role
from video_relay.cameras import CameraEntry
from video_relay.choice import cameras_near
from video_relay.errors import Forbidden
from video_relay.relay import Relay, presented_token

__all__ = ["CameraRegistration", "PositionUpdate", "api_routes", "parse_since"]

_REGISTRARS = (Role.SERVICE, Role.DISPATCHER, Role.SUPERVISOR)


class PositionUpdate(BaseModel):
    """A moving camera's new position (WGS84) and facing."""

    model_config = ConfigDict(extra="ignore", allow_inf_nan=False)

    lon: float = Field(ge=-180.0, le=180.0)
    lat: float = Field(ge=-90.0, le=90.0)
    direction_deg: float | None = Field(default=None, ge=0.0, lt=360.0)


class CameraRegistration(PositionUpdate):
    """A camera joining at run time: a drone, a body camera, a vehicle camera."""

    id: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:@-]*$")
    kind: str = Field(default="drone", pattern=r"^(cctv|drone|body_cam|vehicle|other)$")
    purpose: str = Field(default="", max_length=200)
    owner: str = Field(default="", max_length=200)
    unit_id: str | None = Field(default=None, max_length=128)
    pull_url: str | None = Field(default=None, max_length=2000, pattern=r"^https?://")


def parse_since(value: str | None) -> float | None:
    """Epoch seconds from an RFC 3339 time (or epoch seconds); None when absent; ValueError."""
    if not value:
        return None
    try:
        epoch_s = float(value)
    except ValueError:
        pass
    else:
        if not (math.isfinite(epoch_s) and 0 <= epoch_s < 1e11):
            raise ValueError(f"since {value!r} is not a time")
        return epoch_s
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(f"since {value!r} is not an RFC 3339 time") from exc
    if moment.utcoffset() is None:
        raise ValueError(f"since {value!r} has no UTC offset")
    return max(0.0, moment.timestamp())


def _may_register(principal: Principal, body: CameraRegistration) -> None:
    if principal.role in _REGISTRARS:
        return
    own_body_cam = body.kind == "body_cam" and body.unit_id == principal.unit_id
    if principal.role is Role.CREW and own_body_cam and body.pull_url is None:
        return
    raise Forbidden(f"role {principal.role.value!r} may not register this camera")


def api_routes(relay: Relay) -> APIRouter:
    """Registry and audit routes."""
    router = APIRouter(prefix="/api/video")

    @router.get("/cameras")
    async def list_cameras(request: Request) -> dict[str, Any]:
        """Every camera the relay can carry."""
        await relay.principal(request)
        cameras = [entry.to_json() for entry in relay.registry]
        for cam in cameras:
            feed = relay.hub.get(cam["id"])
            cam["viewers"] = feed.viewer_count if feed else 0
        return {"cameras": cameras, "count": len(cameras)}

    @router.get("/cameras/near")
    async def near(
        request: Request, lon: float, lat: float, max_distance_m: float = 300.0, limit: int = 8
    ) -> dict[str, Any]:
        """Cameras that can see (lon, lat), best first: city CCTV, drones and body cameras."""
        await relay.principal(request)
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise HTTPException(422, "lon/lat out of range")
        chosen = cameras_near(
            relay.registry,
            lon,
            lat,
            max_distance_m=min(max(max_distance_m, 0.0), 5000.0),
            limit=max(0, min(limit, 100)),
        )
        return {"cameras": [c.to_json() for c in chosen], "count": len(chosen)}

    @router.get("/cameras/{camera_id}")
    async def get_camera(request: Request, camera_id: str) -> dict[str, Any]:
        """One camera."""
        await relay.principal(request)
        return relay.registry.get(camera_id).to_json()

    @router.post("/cameras", status_code=201)
    async def register_camera(request: Request, body: CameraRegistration) -> dict[str, Any]:
        """Register (or renew) a run-time camera; its ingest token is shown only here."""
        principal = await relay.principal(request)
        _may_register(principal, body)
        if body.pull_url is not None:
            relay.egress.check_url(body.pull_url)
        entry, token = relay.registry.register(CameraEntry(**body.model_dump()))
        return {"camera": entry.to_json(), "ingest_token": token}

    @router.delete("/cameras/{camera_id}", status_code=204)
    async def remove_camera(request: Request, camera_id: str) -> None:
        """Remove a run-time camera."""
        principal = await relay.principal(request)
        entry = relay.registry.get(camera_id)
        own = principal.role is Role.CREW and entry.unit_id == principal.unit_id
        if principal.role not in _REGISTRARS and not own:
            raise Forbidden(f"role {principal.role.value!r} may not remove camera {camera_id!r}")
        relay.registry.unregister(camera_id)

    @router.post("/cameras/{camera_id}/position")
    async def move_camera(request: Request, camera_id: str, body: PositionUpdate) -> dict[str, Any]:
        """A moving camera's source reports where it is (authenticated by its ingest token)."""
        relay.registry.verify_ingest(camera_id, presented_token(request))
        entry = relay.registry.move(camera_id, body.lon, body.lat, body.direction_deg)
        return entry.to_json()

    @router.get("/audit")
    async def audit(
        request: Request,
        camera_id: str | None = None,
        since: str | None = None,
        limit: int = 1000,
        include_refused: bool = False,
    ) -> JSONResponse:
        """Viewing sessions active since ``since`` (RFC 3339), optionally of one camera."""
        principal = await relay.principal(request)
        if principal.role is not Role.SUPERVISOR:
            raise Forbidden("only a supervisor may read the viewing audit")
        limit = max(1, min(limit, relay.config.audit_query_limit))
        try:
            since_s = parse_since(since)
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from exc
        camera_id = camera_id or None
        sessions = await relay.audit.sessions(camera_id=camera_id, since_s=since_s, limit=limit)
        body: dict[str, Any] = {"sessions": [s.to_json() for s in sessions], "count": len(sessions)}
        if include_refused:
            refusals = await relay.audit.refusals(camera_id=camera_id, since_s=since_s, limit=limit)
            body["refusals"] = [r.to_json() for r in refusals]
        return JSONResponse(body)

    return router
