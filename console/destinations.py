"""Emergency-room routes: a crew's (or dispatcher's) choice of destination, and the board.

A choice is role-checked (a crew only for its own unit), audited, and produced as a
``choose_destination`` command; the worker decides and confirms it with the unit's next
``destinations`` record. The board joins the registry with the latest ``er-status``, the
units on their way and the mass-casualty plans in force.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError

from access import Principal, Role
from console.actions import new_command, refusal, send_command
from console.context import DISPATCH, Context
from console.crew import current_assignment
from console.diversions import with_diversions
from console.hospitals import board, destination_in_force, plans_in_force
from console.outputs import DESTINATIONS, ER_STATUS, MCI_PLANS
from console.units import fleet_snapshot, unit_state
from dispatch import ErRules, load_er_rules, registry
from geo.model import Facility
from streams.contract import CommandAction

__all__ = ["DestinationBody", "destinations_router", "registry_of"]


class DestinationBody(BaseModel):
    """The emergency room chosen for a unit's patients (and optionally why)."""

    hospital_id: str = Field(min_length=1, max_length=40)
    incident_id: str | None = Field(default=None, max_length=128)
    reason: str | None = Field(default=None, max_length=300)


def registry_of(facilities: Iterable[Facility], rules: ErRules) -> list[dict[str, Any]]:
    """The city's emergency rooms as board rows: designation and designated capabilities."""
    return [
        {
            "hospital_id": h.id,
            "name": h.name,
            "level": h.level or None,
            "designated": sorted(h.capabilities),
            "location": {"lon": h.lon, "lat": h.lat},
        }
        for h in registry(facilities, rules).values()
    ]


def destinations_router(ctx: Context) -> APIRouter:
    """Routes ``POST /api/units/{unit_id}/destination`` and ``GET /api/hospitals``."""
    router = APIRouter()
    rm = ctx.readmodel
    dispatcher = ctx.gate.require(*DISPATCH)
    crew_or_dispatcher = ctx.gate.require(Role.CREW, *DISPATCH)
    rules = load_er_rules()
    rows: list[list[dict[str, Any]]] = []

    async def hospitals() -> list[dict[str, Any]]:
        if not rows:
            city = await asyncio.to_thread(ctx.layers.city)
            rows.append(registry_of(city.facilities, rules))
        return rows[0]

    @router.post("/api/units/{unit_id}/destination", status_code=202)
    async def choose(
        unit_id: str, body: DestinationBody, who: Principal = Depends(crew_or_dispatcher)
    ) -> JSONResponse:
        """Take a unit's patients to ``hospital_id`` (its crew or a dispatcher; audited)."""
        if who.role is Role.CREW and who.unit_id != unit_id:
            raise HTTPException(403, "a crew chooses only its own unit's destination")
        unit = await unit_state(rm, ctx.redis, ctx.namespace, unit_id)
        assignment = current_assignment(await rm.active("assignments"), unit_id)
        mine = {assignment["incident_id"]} if assignment is not None else set()
        current = await rm.get(DESTINATIONS, unit_id)
        if who.role is not Role.CREW and current is not None:
            mine.add(str(current["incident_id"]))  # a dispatcher may act after the order ended
        current = destination_in_force(current, unit, mine)
        incident_id = body.incident_id or (current or assignment or {}).get("incident_id")
        if incident_id is None:
            raise HTTPException(409, f"unit {unit_id!r} has no patient to take anywhere")
        if who.role is Role.CREW and incident_id not in mine:
            raise HTTPException(403, "a crew chooses only for its own incident")
        known = {h["hospital_id"] for h in await hospitals()}
        known |= {r["hospital_id"] for r in (current or {}).get("ranked", [])}
        if body.hospital_id not in known:
            raise HTTPException(422, f"no emergency room {body.hospital_id!r}")
        try:
            command = new_command(
                CommandAction.CHOOSE_DESTINATION,
                who,
                datetime.now(UTC),
                incident_id=incident_id,
                unit_id=unit_id,
                hospital_id=body.hospital_id,
                reason=body.reason or None,
            )
        except ValidationError as exc:
            raise HTTPException(422, refusal(exc)) from None
        target = f"{unit_id} → {body.hospital_id}"
        await send_command(ctx, command, who, target, "choice")
        return JSONResponse(
            {"id": command.id, "action": command.action.value, "hospital_id": body.hospital_id},
            status_code=202,
        )

    @router.get("/api/hospitals")
    async def list_hospitals(who: Principal = Depends(dispatcher)) -> dict[str, Any]:
        """Every emergency room with its latest status (age, stale flag), the units coming
        with their ETA, and its share of each mass-casualty plan in force."""
        state = await rm.active_many(("incidents", ER_STATUS, DESTINATIONS, MCI_PLANS))
        active = {i["id"] for i in state["incidents"]}
        units = {u["unit_id"]: u for u in await fleet_snapshot(rm, ctx.redis, ctx.namespace)}
        coming = await with_diversions(
            rm,
            [
                d
                for d in state[DESTINATIONS]
                if destination_in_force(d, units.get(d["unit_id"]), active)
            ],
        )
        plans = plans_in_force(state[MCI_PLANS], active)
        found = board(
            await hospitals(), state[ER_STATUS], coming, plans, time.time(), rules.stale_after_s
        )
        return {"max_age_s": rules.stale_after_s, "hospitals": found, "mci_plans": plans}

    return router
