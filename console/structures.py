"""Bridges, tunnels, underpasses and overpasses on the console: the board of every structure
with its closure state and trend, the public list of closed ones, and the dispatcher's closure
commands (confirm a recommended closure, close by hand, reopen)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError

from access import Principal
from console.actions import issue, new_command, refusal
from console.closures import PUBLIC_CLOSURES, PUBLIC_FIELDS, READINGS, STRUCTURES
from console.context import DISPATCH, Context
from console.layers import round_coords
from geo import City
from geo.structures import Structure, structures
from streams.contract import CommandAction

__all__ = ["ClosureBody", "board_rows", "registry_entry", "structures_router"]

COMMANDS = {
    "confirm-closure": CommandAction.CONFIRM_CLOSURE,
    "close": CommandAction.CLOSE_STRUCTURE,
    "reopen": CommandAction.REOPEN_STRUCTURE,
}


def registry_entry(s: Structure) -> dict[str, Any]:
    """One structure of the registry as the board and map draw it."""
    return {
        "structure_id": s.id,
        "name": s.name,
        "kind": s.kind,
        "gu": s.gu,
        "length_m": round(s.length_m, 1),
        "location": {"lon": round(s.lon, 6), "lat": round(s.lat, 6)},
        "link_count": len(s.link_ids),
        "sensor_ids": list(s.sensor_ids),
        "lines": round_coords([[list(p) for p in line] for line in s.lines]),
    }


STATE_FIELDS = (
    "state",
    "previous_state",
    "version",
    "updated_at",
    "reason",
    "readings",
    "command_id",
    "by",
)


def board_rows(
    registry: list[dict[str, Any]],
    records: dict[str, dict[str, Any]],
    histories: dict[str, list[dict[str, Any]]],
) -> list[dict[str, Any]]:
    """Every structure (the registry's, then any only the log knows) with its latest state
    (``open`` when it has none) and its last hour of readings.

    >>> rows = board_rows([{"structure_id": "ST-U-1", "name": "a"}], {}, {})
    >>> rows[0]["state"], rows[0]["history"]
    ('open', [])
    """
    known = {e["structure_id"] for e in registry}
    extra = [
        {k: r.get(k) for k in ("structure_id", *PUBLIC_FIELDS[1:])} | {"lines": []}
        for sid, r in sorted(records.items())
        if sid not in known
    ]
    rows = []
    for entry in [*registry, *extra]:
        sid = entry["structure_id"]
        record = records.get(sid) or {}
        state = {k: record.get(k) for k in STATE_FIELDS}
        state["state"] = state["state"] or "open"
        state["readings"] = state["readings"] or []
        rows.append({**entry, **state, "history": histories.get(sid, [])})
    return rows


class ClosureBody(BaseModel):
    """Why a structure is closed or reopened by hand (required there; optional to confirm)."""

    reason: str | None = Field(default=None, max_length=300)


def structures_router(ctx: Context) -> APIRouter:
    """Routes ``GET /api/structures``, ``POST /api/structures/{id}/<command>`` and
    ``GET /api/public/closures``."""
    router = APIRouter()
    rm = ctx.readmodel
    dispatcher = ctx.gate.require(*DISPATCH)
    registry: list[list[dict[str, Any]]] = []

    def build_registry() -> list[dict[str, Any]]:
        if not registry:
            city: City = ctx.layers.city()
            registry.append([registry_entry(s) for s in structures(city)])
        return registry[0]

    async def known(structure_id: str) -> bool:
        entries = await asyncio.to_thread(build_registry)
        if any(e["structure_id"] == structure_id for e in entries):
            return True
        return await rm.get(STRUCTURES, structure_id) is not None

    @router.get("/api/structures")
    async def list_structures(who: Principal = Depends(dispatcher)) -> JSONResponse:
        """Every bridge, tunnel, underpass and overpass with its closure state (``open``
        when it has none), its latest readings and those of the last hour."""
        entries = await asyncio.to_thread(build_registry)
        records = {str(r["structure_id"]): r for r in await rm.all(STRUCTURES)}
        histories = await rm.series_many(READINGS, sorted(records))
        return JSONResponse(board_rows(entries, records, histories))

    def command_route(path: str, action: CommandAction) -> None:
        async def route(
            structure_id: str, body: ClosureBody | None = None, who: Principal = Depends(dispatcher)
        ) -> JSONResponse:
            reason = (body.reason or "").strip() if body else ""
            try:
                command = new_command(
                    action,
                    who,
                    datetime.now(UTC),
                    structure_id=structure_id,
                    reason=reason or None,
                )
            except ValidationError as exc:
                raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, refusal(exc)) from None
            if not await known(structure_id):
                raise HTTPException(status.HTTP_404_NOT_FOUND, f"no structure {structure_id!r}")
            return await issue(ctx, command, who, structure_id)

        router.add_api_route(
            f"/api/structures/{{structure_id}}/{path}",
            route,
            methods=["POST"],
            status_code=202,
            summary=f"{action.value} (dispatcher, audited)",
        )

    for path, action in COMMANDS.items():
        command_route(path, action)

    @router.get("/api/public/closures")
    async def public_closures() -> list[dict[str, Any]]:
        """Structures closed now: name, kind, gu, where and since when (anyone)."""
        shown = await rm.active(PUBLIC_CLOSURES)
        return sorted(shown, key=lambda c: str(c.get("since") or ""), reverse=True)

    return router
