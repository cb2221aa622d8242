"""Supervisors' silences of public-alert drafts: a hazard in an area for a stated time.

A silence is role-checked, audited, and produced as a ``silence_alerts`` command for the
worker, which enforces it; lifting one produces ``lift_silence``. The console keeps its own
record of each silence it asked for (``{namespace}:silences``), so it can show the active ones
and, from the alert records the worker marks ``silenced_by``, what each suppressed. The worker's
refusal, if any, arrives as a dead letter naming the command id (shown by the console page).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from fastapi import APIRouter, Depends, HTTPException, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError

from access import Principal, Role
from console.actions import new_command, refusal, send_command
from console.context import DISPATCH, Context
from streams.contract import Command, CommandAction

__all__ = ["LiftBody", "SilenceBody", "silence_command", "silences_router"]

SUPPRESSED_SHOWN = 50
"""Suppressed drafts listed per silence (the count is always complete)."""


class SilenceBody(BaseModel):
    """Silence ``hazard`` drafts in ``area`` for ``duration_s``, and why (districts: a label)."""

    hazard: str | None = None
    area: dict[str, Any] | None = None
    duration_s: int | None = None
    reason: str | None = Field(default=None, max_length=300)
    districts: list[str] = Field(default_factory=list, max_length=50)


class LiftBody(BaseModel):
    """Why a silence ends before its time (optional)."""

    reason: str | None = Field(default=None, max_length=300)


def silence_command(who: Principal, body: SilenceBody, now: datetime) -> Command:
    """The ``silence_alerts`` command a supervisor's request becomes (raises ValidationError)."""
    return new_command(
        CommandAction.SILENCE_ALERTS,
        who,
        now,
        hazard=body.hazard,
        area=body.area,
        duration_s=body.duration_s,
        reason=body.reason or None,
    )


def lift_command(who: Principal, silence_id: str, body: LiftBody, now: datetime) -> Command:
    """The ``lift_silence`` command ending ``silence_id`` (raises ValidationError)."""
    return new_command(
        CommandAction.LIFT_SILENCE,
        who,
        now,
        silence_id=silence_id,
        reason=body.reason or None,
    )


def silences_router(ctx: Context) -> APIRouter:
    """Routes ``POST /api/silences``, ``POST /api/silences/{id}/lift``, ``GET /api/silences``."""
    router = APIRouter()
    supervisor = ctx.gate.require(Role.SUPERVISOR)
    dispatcher = ctx.gate.require(*DISPATCH)
    key = f"{ctx.namespace}:silences"

    @router.post("/api/silences", status_code=202)
    async def silence(body: SilenceBody, who: Principal = Depends(supervisor)) -> JSONResponse:
        """Silence a hazard's drafts in an area for a stated time (supervisors; audited)."""
        try:
            command = silence_command(who, body, datetime.now(UTC))
        except ValidationError as exc:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, refusal(exc)) from None
        until = command.at + timedelta(seconds=command.duration_s or 0)
        where = ", ".join(body.districts) or "area"
        record = {
            "id": command.id,
            "hazard": command.hazard,
            "area": command.area,
            "districts": body.districts,
            "duration_s": command.duration_s,
            "reason": command.reason,
            "by": who.subject,
            "at": command.at.isoformat(),
            "until": until.isoformat(),
            "lifted_at": None,
            "lifted_by": None,
        }
        await ctx.redis.hset(key, command.id, orjson.dumps(record))
        try:
            await send_command(ctx, command, who, f"{command.hazard} @ {where}", "silence")
        except HTTPException:
            await ctx.redis.hdel(key, command.id)
            raise
        return JSONResponse({"id": command.id, "action": command.action.value}, 202)

    @router.post("/api/silences/{silence_id}/lift", status_code=202)
    async def lift(
        silence_id: str, body: LiftBody | None = None, who: Principal = Depends(supervisor)
    ) -> JSONResponse:
        """End a silence before its time (supervisors; audited)."""
        raw = await ctx.redis.hget(key, silence_id)
        if raw is None:
            raise HTTPException(404, f"no silence {silence_id!r} was asked for here")
        try:
            command = lift_command(who, silence_id, body or LiftBody(), datetime.now(UTC))
        except ValidationError as exc:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, refusal(exc)) from None
        await send_command(ctx, command, who, silence_id, "silence")
        record = orjson.loads(raw)
        record |= {"lifted_at": command.at.isoformat(), "lifted_by": who.subject}
        await ctx.redis.hset(key, silence_id, orjson.dumps(record))
        return JSONResponse({"id": command.id, "action": command.action.value}, 202)

    @router.get("/api/silences")
    async def list_silences(who: Principal = Depends(dispatcher)) -> list[dict[str, Any]]:
        """Silences in force, newest first, each with the drafts it suppressed."""
        now = datetime.now(UTC)
        records = [orjson.loads(v) for v in (await ctx.redis.hgetall(key)).values()]
        current = [
            r for r in records if not r["lifted_at"] and datetime.fromisoformat(r["until"]) > now
        ]
        found = await ctx.readmodel.silenced([r["id"] for r in current])
        suppressed = {k: [_suppressed_view(a) for a in v] for k, v in found.items()}
        out = []
        for r in sorted(current, key=lambda r: str(r["at"]), reverse=True):
            drafts = sorted(suppressed[r["id"]], key=lambda a: str(a["issued_at"]), reverse=True)
            out.append(
                {**r, "suppressed_count": len(drafts), "suppressed": drafts[:SUPPRESSED_SHOWN]}
            )
        return out

    return router


def _suppressed_view(alert: dict[str, Any]) -> dict[str, Any]:
    """What the silence panel lists of a suppressed draft (no message text needed)."""
    keys = ("id", "incident_id", "hazard", "tier", "severity", "headline", "issued_at", "status")
    return {k: alert.get(k) for k in keys}
