"""The WebSockets: the console (dispatchers), one crew's unit, and the public alerts."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import orjson
from fastapi import APIRouter, WebSocket

from access import Role
from console.auth import WS_FORBIDDEN
from console.closures import PUBLIC_CLOSURES, STRUCTURES
from console.context import DISPATCH, Context
from console.crew import CREW_STATUSES
from console.diversions import with_diversions
from console.hospitals import destination_in_force, plans_in_force
from console.outputs import DESTINATIONS, ER_STATUS, MCI_PLANS, UNITS
from console.projector import frame
from console.public_alerts import current_public_alerts
from console.readmodel import ReadModel
from console.units import fleet_snapshot, unit_state, with_status_since

__all__ = ["CrewFilter", "ended_frames", "orders_in_force", "sockets_router"]

HEARTBEAT_S = 1.0
"""An idle console socket pings this often (when the client asks, ``?heartbeat=1``)."""
CONSOLE_KINDS = frozenset(
    {
        "incident",
        "assignment",
        "overlay",
        "alert",
        "deadletter",
        "unit",
        "structure",
        "er-status",
        "destination",
        "mci-plan",
    }
)
PUBLIC_KINDS = frozenset({"public-alert", "public-closure"})
ENDED_WINDOW_S = 6 * 3600.0
"""How far back a (re)connecting console is told what ended: alerts withdrawn and orders
cancelled in that time reach it as their final state, so a console that was away drops them
(incidents that ended are simply absent from the snapshot, which replaces the client's set)."""


async def orders_in_force(
    rm: ReadModel, orders: list[dict[str, Any]], incidents: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The orders whose incident has not ended: an order's route means nothing once its
    incident is over (the worker withdraws recommendations then, and the unit reports itself
    free). An order of an incident not yet in the read model is kept (it is on its way)."""
    active = {i["id"] for i in incidents}
    others = sorted({o["incident_id"] for o in orders} - active)
    ended = {i["id"] for i in await rm.many("incidents", others)}
    return [o for o in orders if o["incident_id"] not in ended]


async def ended_frames(rm: ReadModel, now_s: float) -> list[str]:
    """The final state of each alert, reopened structure and order that ended in the last
    ``ENDED_WINDOW_S``, as the frames a console applies to any entity's change (routes left
    out: an ended order draws none)."""
    since = now_s - ENDED_WINDOW_S
    frames = [frame("alert", a) for a in await rm.ended("alerts", since)]
    frames += [frame("structure", s) for s in await rm.ended(STRUCTURES, since)]
    for order in await rm.ended("assignments", since):
        frames.append(frame("assignment", {**order, "route": None}))
    return frames


class CrewFilter:
    """Which hub frames one unit's crew receives: its orders and what concerns them."""

    def __init__(self, unit_id: str, incident_ids: set[str]) -> None:
        self.unit_id = unit_id
        self.mine = set(incident_ids)

    def __call__(self, kind: str, data: dict[str, Any]) -> bool:
        """True when the frame concerns this unit (updates the unit's incidents as it goes)."""
        if kind == "assignment" and data.get("unit_id") == self.unit_id:
            incident_id = str(data.get("incident_id"))
            if data.get("status") in CREW_STATUSES:
                self.mine.add(incident_id)
                return True
            if data.get("status") == "cancelled":
                self.mine.discard(incident_id)
                return True
            return False  # a recommendation is not an order: the crew does not see it
        if kind in ("unit", "destination"):
            return data.get("unit_id") == self.unit_id
        if kind == "deadletter":
            return self._own_choice(data)
        if kind == "incident":
            return data.get("id") in self.mine
        return kind == "overlay" and data.get("incident_id") in self.mine

    def _own_choice(self, letter: dict[str, Any]) -> bool:
        """A refused ``choose_destination`` of this unit (the worker's reason reaches its crew
        at once instead of the choice waiting on a confirmation that never comes)."""
        try:
            command = orjson.loads(str(letter.get("payload") or ""))
        except orjson.JSONDecodeError:
            return False
        return (
            isinstance(command, dict)
            and command.get("action") == "choose_destination"
            and command.get("unit_id") == self.unit_id
            and command.get("id") == letter.get("event_id")
        )


def sockets_router(ctx: Context) -> APIRouter:
    """Routes ``/ws/console``, ``/ws/crew/{unit_id}`` and ``/ws/public``."""
    router = APIRouter()
    rm = ctx.readmodel

    @router.websocket("/ws/console")
    async def ws_console(websocket: WebSocket) -> None:
        who = await ctx.gate.admit(websocket, *DISPATCH)
        if who is None:
            return

        async def snapshot() -> list[str]:
            # structures that are not open (the board fetches the rest)
            kinds = ("incidents", "alerts", "assignments", UNITS, STRUCTURES)
            state = await rm.active_many((*kinds, ER_STATUS, DESTINATIONS, MCI_PLANS))
            fleet = await fleet_snapshot(rm, ctx.redis, ctx.namespace, state.pop(UNITS))
            units = await with_status_since(rm, fleet)
            orders, incidents = state["assignments"], state["incidents"]
            state["assignments"] = await orders_in_force(rm, orders, incidents)
            active = {i["id"] for i in incidents}
            by_unit = {u["unit_id"]: u for u in units}
            state["er_status"] = state.pop(ER_STATUS)
            coming = [
                d
                for d in state.pop(DESTINATIONS)
                if destination_in_force(d, by_unit.get(d["unit_id"]), active)
            ]
            state["destinations"] = await with_diversions(rm, coming)
            state["mci_plans"] = plans_in_force(state.pop(MCI_PLANS), active)
            ended = await ended_frames(rm, time.time())
            return [frame("snapshot", {**state, "units": units}), *ended]

        await ctx.hub.serve(
            websocket,
            lambda kind, data: kind in CONSOLE_KINDS,
            snapshot,
            batch=websocket.query_params.get("batch") == "1",
            heartbeat_s=HEARTBEAT_S if websocket.query_params.get("heartbeat") == "1" else None,
            until=lambda: ctx.gate.watch(websocket, who),
        )

    @router.websocket("/ws/public")
    async def ws_public(websocket: WebSocket) -> None:
        await websocket.accept()

        async def snapshot() -> list[str]:
            alerts = await current_public_alerts(rm, datetime.now(UTC))
            closures = await rm.active(PUBLIC_CLOSURES)
            return [frame("snapshot", {"alerts": alerts, "closures": closures})]

        await ctx.hub.serve(websocket, lambda kind, data: kind in PUBLIC_KINDS, snapshot)

    @router.websocket("/ws/crew/{unit_id}")
    async def ws_crew(websocket: WebSocket, unit_id: str) -> None:
        who = await ctx.gate.admit(websocket, Role.CREW, *DISPATCH)
        if who is None:
            return
        if who.role is Role.CREW and who.unit_id != unit_id:
            await websocket.close(WS_FORBIDDEN, "a crew sees only its own unit")
            return
        if not await ctx.hub.history_read(websocket):
            return
        assignments = [
            a
            for a in await rm.active("assignments")
            if a["unit_id"] == unit_id and a["status"] in CREW_STATUSES
        ]
        accepts = CrewFilter(unit_id, {a["incident_id"] for a in assignments})
        incidents = [await rm.get("incidents", i) for i in sorted(accepts.mine)]
        overlays = [await rm.get("overlays", i) for i in sorted(accepts.mine)]
        unit = await unit_state(rm, ctx.redis, ctx.namespace, unit_id)
        destination = destination_in_force(
            await rm.get(DESTINATIONS, unit_id), unit, set(accepts.mine)
        )
        snapshot = {
            "incidents": [i for i in incidents if i is not None],
            "assignments": assignments,
            "overlays": [o for o in overlays if o is not None],
            "destinations": await with_diversions(rm, [destination] if destination else []),
        }
        await ctx.hub.serve(
            websocket,
            accepts,
            [frame("snapshot", snapshot)],
            until=lambda: ctx.gate.watch(websocket, who),
        )

    return router
