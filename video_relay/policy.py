"""Who may watch which camera: a pure rule, and the read model it needs behind a protocol.

Dispatchers and supervisors may watch any camera for a stated reason or incident. A crew
may watch only the cameras published in the overlay of the incident its unit is
assigned to. Every viewing needs a reason or an incident (personal-information law).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from access import Principal, Role
from video_relay.errors import Forbidden, ReasonRequired, StoreUnavailable

__all__ = [
    "MAX_REASON_CHARS",
    "RedisViewingPolicy",
    "StaticViewingPolicy",
    "ViewingGrant",
    "ViewingPolicy",
    "authorize_viewing",
    "cameras_in_overlay",
]

MAX_REASON_CHARS = 500


@dataclass(frozen=True, slots=True)
class ViewingGrant:
    """Why a viewing is allowed: the incident it serves and/or the reason stated."""

    incident_id: str | None
    reason: str | None


def authorize_viewing(
    principal: Principal,
    camera_id: str,
    reason: str | None,
    incident_id: str | None,
    assigned_incident: str | None,
    incident_cameras: frozenset[str],
) -> ViewingGrant:
    """Decide a viewing request; raise ReasonRequired or Forbidden, else return the grant.

    ``assigned_incident`` and ``incident_cameras`` are what the read model says of a crew's
    unit (ignored for other roles).
    """
    reason = (reason or "").strip()[:MAX_REASON_CHARS] or None
    incident_id = (incident_id or "").strip() or None
    if reason is None and incident_id is None:
        raise ReasonRequired("state a reason or an incident_id to view a camera")
    if principal.role in (Role.DISPATCHER, Role.SUPERVISOR):
        return ViewingGrant(incident_id, reason)
    if principal.role is not Role.CREW:
        raise Forbidden(f"role {principal.role.value!r} may not view video")
    if assigned_incident is None:
        raise Forbidden(f"unit {principal.unit_id!r} is not assigned to an incident")
    if incident_id is not None and incident_id != assigned_incident:
        raise Forbidden(f"unit {principal.unit_id!r} is not assigned to incident {incident_id!r}")
    if camera_id not in incident_cameras:
        raise Forbidden(f"camera {camera_id!r} is not at incident {assigned_incident!r}")
    return ViewingGrant(assigned_incident, reason)


def cameras_in_overlay(overlay: Any) -> frozenset[str]:
    """Camera ids listed in an overlay document (``cameras: [{"id": ...}, ...]``)."""
    if not isinstance(overlay, dict) or not isinstance(overlay.get("cameras"), list):
        return frozenset()
    ids = set()
    for cam in overlay["cameras"]:
        if isinstance(cam, dict):
            cam_id = cam.get("id", cam.get("camera_id"))
            if isinstance(cam_id, str):
                ids.add(cam_id)
        elif isinstance(cam, str):
            ids.add(cam)
    return frozenset(ids)


class ViewingPolicy(Protocol):
    """The read model a viewing decision needs: revocations, a unit's incident, its cameras."""

    async def is_revoked(self, token_id: str) -> bool:
        """True when the token was revoked before it expired."""
        ...

    async def assigned_incident(self, unit_id: str) -> str | None:
        """The incident the unit is assigned to now, or None."""
        ...

    async def incident_cameras(self, incident_id: str) -> frozenset[str]:
        """Cameras published in the incident's overlay."""
        ...


class StaticViewingPolicy:
    """A fixed read model (for a relay running without the streams worker, and for tests)."""

    def __init__(
        self,
        assignments: dict[str, str] | None = None,
        cameras: dict[str, frozenset[str]] | None = None,
        revoked: set[str] | None = None,
    ) -> None:
        self.assignments = dict(assignments or {})
        self.cameras = dict(cameras or {})
        self.revoked = set(revoked or ())

    async def is_revoked(self, token_id: str) -> bool:
        """True when the token was revoked before it expired."""
        return token_id in self.revoked

    async def assigned_incident(self, unit_id: str) -> str | None:
        """The incident the unit is assigned to now, or None."""
        return self.assignments.get(unit_id)

    async def incident_cameras(self, incident_id: str) -> frozenset[str]:
        """Cameras published in the incident's overlay."""
        return self.cameras.get(incident_id, frozenset())


class RedisViewingPolicy:
    """Reads ``{ns}:unit-assignment`` and ``{ns}:overlays`` (streams worker) and
    ``{ns}:revoked-tokens`` (console)."""

    def __init__(self, client: aioredis.Redis, namespace: str) -> None:
        self._client = client
        self._assignments = f"{namespace}:unit-assignment"
        self._overlays = f"{namespace}:overlays"
        self._revoked = f"{namespace}:revoked-tokens"

    async def is_revoked(self, token_id: str) -> bool:
        """True when the token was revoked before it expired."""
        try:
            return bool(await self._client.sismember(self._revoked, token_id))
        except (RedisError, OSError) as exc:
            raise StoreUnavailable(f"read model unavailable: {exc}") from exc

    async def assigned_incident(self, unit_id: str) -> str | None:
        """The incident the unit is assigned to now, or None."""
        value = await self._hget(self._assignments, unit_id)
        return value or None

    async def incident_cameras(self, incident_id: str) -> frozenset[str]:
        """Cameras published in the incident's overlay."""
        raw = await self._hget(self._overlays, incident_id)
        if not raw:
            return frozenset()
        try:
            return cameras_in_overlay(json.loads(raw))
        except ValueError:
            return frozenset()

    async def _hget(self, key: str, field: str) -> str | None:
        try:
            value = await self._client.hget(key, field)
        except (RedisError, OSError) as exc:
            raise StoreUnavailable(f"read model unavailable: {exc}") from exc
        if isinstance(value, bytes):
            return value.decode("utf-8", "replace")
        return value if isinstance(value, str) else None
