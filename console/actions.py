"""Dispatcher actions: role-checked, audited, then produced as commands for the worker."""

from __future__ import annotations

import asyncio
import secrets
import time
from datetime import UTC, datetime
from typing import Any

from aiokafka.errors import KafkaError
from fastapi import APIRouter, Depends, HTTPException, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError

from access import Principal, Role
from console.audit import AuditRecord
from console.context import DISPATCH, Context
from console.units import unit_state
from streams.contract import Command, CommandAction, UnitStatus, encode

__all__ = [
    "ActionBody",
    "MergeBody",
    "RetypeBody",
    "SplitBody",
    "actions_router",
    "command_for",
    "issue",
    "new_command",
    "refusal",
]

COMMAND_KEY = b"city"
SEND_TIMEOUT_S = 5.0


class ActionBody(BaseModel):
    """Optional body of an action: which units, and why."""

    unit_ids: list[str] = Field(default_factory=list, max_length=50)
    remove_unit_ids: list[str] = Field(default_factory=list, max_length=50)
    reason: str | None = Field(default=None, max_length=300)


class MergeBody(BaseModel):
    """Merge this incident into another (the survivor), and why."""

    into_incident_id: str | None = None
    reason: str | None = None


class SplitBody(BaseModel):
    """Split these pieces of evidence off into a new incident (of ``type``), and why."""

    evidence_ids: list[str] = Field(default_factory=list)
    type: str | None = None
    reason: str | None = None


class RetypeBody(BaseModel):
    """Set the incident's type and/or priority, and why."""

    type: str | None = None
    priority: int | None = None
    reason: str | None = None


RulingBody = MergeBody | SplitBody | RetypeBody
"""Bodies checked by the command itself, so a bad one is refused with the contract's words."""

INCIDENT_ACTIONS = {
    "accept": CommandAction.ACCEPT_RECOMMENDATION,
    "override": CommandAction.OVERRIDE,
    "resolve": CommandAction.RESOLVE_INCIDENT,
    "close": CommandAction.CLOSE_INCIDENT,
}
ALERT_ACTIONS = {
    "approve": CommandAction.APPROVE_ALERT,
    "cancel": CommandAction.CANCEL_ALERT,
    "all-clear": CommandAction.ALL_CLEAR_ALERT,
}


def command_for(
    action: CommandAction,
    who: Principal,
    target: str,
    body: ActionBody | RulingBody,
    now: datetime,
) -> Command:
    """The command a principal's action becomes (raises ValidationError when incomplete)."""
    on_alert = action in ALERT_ACTIONS.values()
    fields = body.model_dump(exclude_none=True)
    fields["reason"] = fields.get("reason") or None
    return new_command(
        action,
        who,
        now,
        incident_id=None if on_alert else target,
        alert_id=target if on_alert else None,
        **fields,
    )


def new_command(action: CommandAction, who: Principal, now: datetime, **fields: Any) -> Command:
    """A command of ``who`` made now, with a fresh id (raises ValidationError when
    incomplete)."""
    return Command(
        id=f"cmd-{int(now.timestamp() * 1000)}-{secrets.token_hex(4)}",
        at=now,
        action=action,
        by=who.subject,
        role=who.role.value,
        **fields,
    )


def refusal(exc: ValidationError) -> str:
    """Why a command was refused, in the contract's words (field first, when there is one)."""
    reasons = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"])
        message = str(error["msg"]).removeprefix("Value error, ")
        reasons.append(f"{where}: {message}" if where else message)
    return "; ".join(reasons)


async def send(ctx: Context, topic: str, value: bytes, key: bytes, what: str = "action") -> None:
    """Produce one record, or answer 503 (nothing was sent) when the broker does not take it;
    ``what`` names the thing not sent in the answer."""
    try:
        await asyncio.wait_for(ctx.kafka.send(topic, value, key), SEND_TIMEOUT_S)
    except (KafkaError, TimeoutError, OSError) as exc:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            f"broker unavailable, the {what} was NOT sent; retry ({type(exc).__name__})",
            headers={"Retry-After": "2"},
        ) from None


async def send_command(
    ctx: Context, command: Command, who: Principal, target: str, what: str = "action"
) -> None:
    """Audit a principal's command on ``target``, then produce it for the worker; a command
    the broker did not take is audited as failed and answered 503 (every console command
    goes this way)."""
    record = AuditRecord(
        at=command.at.isoformat(),
        who=who.subject,
        role=who.role.value,
        action=command.action.value,
        target=target,
        command_id=command.id,
        reason=command.reason or "",
    )
    await ctx.audit.append(record)
    try:
        await send(ctx, ctx.topics.commands, encode(command), COMMAND_KEY, what)
    except HTTPException:
        await ctx.audit.append(_failed(record))
        raise


async def issue(ctx: Context, command: Command, who: Principal, target: str) -> JSONResponse:
    """Send a principal's command on ``target`` (audited, see ``send_command``); 202 once the
    broker has it."""
    await send_command(ctx, command, who, target)
    return JSONResponse({"id": command.id, "action": command.action.value}, status_code=202)


def actions_router(ctx: Context) -> APIRouter:
    """Routes ``POST /api/incidents/{id}/<action>``, ``/api/alerts/{id}/<action>``, units."""
    router = APIRouter()
    dispatcher = ctx.gate.require(*DISPATCH)

    async def act(
        action: CommandAction, target: str, who: Principal, body: ActionBody | RulingBody
    ) -> JSONResponse:
        try:
            command = command_for(action, who, target, body, datetime.now(UTC))
        except ValidationError as exc:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, refusal(exc)) from None
        return await issue(ctx, command, who, target)

    def incident_route(path: str, action: CommandAction) -> None:
        async def route(
            incident_id: str, body: ActionBody | None = None, who: Principal = Depends(dispatcher)
        ) -> JSONResponse:
            return await act(action, incident_id, who, body or ActionBody())

        router.add_api_route(
            f"/api/incidents/{{incident_id}}/{path}",
            route,
            methods=["POST"],
            status_code=202,
            summary=f"{action.value} (dispatcher, audited)",
        )

    def alert_route(path: str, action: CommandAction) -> None:
        async def route(
            alert_id: str, body: ActionBody | None = None, who: Principal = Depends(dispatcher)
        ) -> JSONResponse:
            return await act(action, alert_id, who, body or ActionBody())

        router.add_api_route(
            f"/api/alerts/{{alert_id}}/{path}",
            route,
            methods=["POST"],
            status_code=202,
            summary=f"{action.value} (dispatcher, audited)",
        )

    for path, action in INCIDENT_ACTIONS.items():
        incident_route(path, action)

    @router.post("/api/incidents/{incident_id}/merge", status_code=202)
    async def merge(
        incident_id: str, body: MergeBody, who: Principal = Depends(dispatcher)
    ) -> JSONResponse:
        """Merge this incident into ``into_incident_id`` (reason required; audited)."""
        return await act(CommandAction.MERGE_INCIDENT, incident_id, who, body)

    @router.post("/api/incidents/{incident_id}/split", status_code=202)
    async def split(
        incident_id: str, body: SplitBody, who: Principal = Depends(dispatcher)
    ) -> JSONResponse:
        """Split ``evidence_ids`` off into a new incident (reason required; audited)."""
        return await act(CommandAction.SPLIT_EVIDENCE, incident_id, who, body)

    @router.post("/api/incidents/{incident_id}/retype", status_code=202)
    async def retype(
        incident_id: str, body: RetypeBody, who: Principal = Depends(dispatcher)
    ) -> JSONResponse:
        """Set the incident's type and/or priority (reason required; audited)."""
        return await act(CommandAction.RETYPE_INCIDENT, incident_id, who, body)

    for path, action in ALERT_ACTIONS.items():
        alert_route(path, action)

    async def set_service(
        unit_id: str, who: Principal, body: ActionBody, value: str
    ) -> JSONResponse:
        current = await unit_state(ctx.readmodel, ctx.redis, ctx.namespace, unit_id)
        if current is None:
            raise HTTPException(404, f"no unit {unit_id!r} has reported")
        report = UnitStatus.model_validate(
            {
                **{k: current.get(k) for k in ("unit_id", "kind", "station_id", "location")},
                "at": datetime.now(UTC),
                "status": value,
            }
        )
        record = AuditRecord(
            at=report.at.isoformat(),
            who=who.subject,
            role=who.role.value,
            action=f"unit_{value}",
            target=unit_id,
            command_id=report.id,
            reason=body.reason or "",
        )
        await ctx.audit.append(record)
        try:
            await send(ctx, ctx.topics.unit_status, encode(report), unit_id.encode())
        except HTTPException:
            await ctx.audit.append(_failed(record))
            raise
        return JSONResponse({"id": report.id, "status": value}, status_code=202)

    @router.post("/api/units/{unit_id}/out-of-service", status_code=202)
    async def out_of_service(
        unit_id: str, body: ActionBody | None = None, who: Principal = Depends(dispatcher)
    ) -> JSONResponse:
        """Mark a unit out of service (published to ``unit-status``; audited)."""
        return await set_service(unit_id, who, body or ActionBody(), "out_of_service")

    @router.post("/api/units/{unit_id}/in-service", status_code=202)
    async def in_service(
        unit_id: str, body: ActionBody | None = None, who: Principal = Depends(dispatcher)
    ) -> JSONResponse:
        """Return a unit to service as available (published to ``unit-status``; audited)."""
        return await set_service(unit_id, who, body or ActionBody(), "available")

    supervisor = ctx.gate.require(Role.SUPERVISOR)

    @router.get("/api/audit")
    async def audit(limit: int = 200, who: Principal = Depends(supervisor)) -> list[dict[str, Any]]:
        """The newest audit records (supervisors only)."""
        return list(await ctx.audit.recent(limit))

    return router


def _failed(record: AuditRecord) -> AuditRecord:
    return AuditRecord(
        at=datetime.fromtimestamp(time.time(), UTC).isoformat(),
        who=record.who,
        role=record.role,
        action=record.action,
        target=record.target,
        command_id=record.command_id,
        reason=record.reason,
        outcome="failed: broker unavailable",
    )
