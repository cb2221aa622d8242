"""Read routes: incidents, units, assignments, overlays, alerts (with CAP and Atom), layers."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import orjson
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from access import Principal, Role, TokenError
from alerts import (
    ATOM_MEDIA_TYPE,
    CAP_MEDIA_TYPE,
    KST,
    SEOUL_ISSUER,
    AlertError,
    alert_from_dict,
    atom_feed,
    to_cap,
)
from console.auth import bearer_of
from console.closures import STRUCTURES
from console.context import DISPATCH, Context
from console.crew import crew_view, current_assignment, nearest_points
from console.diversions import with_diversions
from console.hospitals import destination_in_force
from console.layers import CREW_LAYERS, LAYERS, PUBLIC_LAYERS
from console.outputs import DESTINATIONS, UNITS
from console.places import PlaceFinder
from console.public_alerts import current_public_alerts, is_public_alert
from console.units import fleet_snapshot, status_since, unit_state
from scenarios.clock import clock_key

__all__ = ["PlacesBody", "queries_router", "urgency_key"]

JSON_CACHE = {"Cache-Control": "public, max-age=3600"}


class PlacePoint(BaseModel):
    """A point to name, with the caller's key for it (an incident id)."""

    id: str = Field(max_length=128)
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)


class PlacesBody(BaseModel):
    """Points to name in one request."""

    points: list[PlacePoint] = Field(max_length=500)


def urgency_key(incident: dict[str, Any]) -> tuple[int, str]:
    """Most urgent first: priority, then the nearest golden-time deadline."""
    return (int(incident["priority"]), str(incident["deadline_at"]))


def queries_router(ctx: Context) -> APIRouter:
    """The read-only REST routes."""
    router = APIRouter()
    rm = ctx.readmodel
    dispatcher = ctx.gate.require(*DISPATCH)
    crew_or_dispatcher = ctx.gate.require(Role.CREW, *DISPATCH)
    finder: list[PlaceFinder] = []

    def places_of(points: list[PlacePoint]) -> dict[str, str | None]:
        if not finder:
            finder.append(PlaceFinder(ctx.layers.city()))
        return {p.id: finder[0].name(p.lon, p.lat) for p in points}

    @router.post("/api/places")
    async def places(
        body: PlacesBody, who: Principal = Depends(crew_or_dispatcher)
    ) -> dict[str, str | None]:
        """Readable places ("마포구 합정동 양화로 부근") of up to 500 points, by their ids."""
        return await asyncio.to_thread(places_of, body.points)

    @router.get("/api/incidents")
    async def list_incidents(
        all: bool = False, who: Principal = Depends(dispatcher)
    ) -> list[dict[str, Any]]:
        """Open incidents, most urgent first (``?all=true``: also resolved and closed)."""
        items = await (rm.all("incidents") if all else rm.active("incidents"))
        return sorted(items, key=urgency_key)

    @router.get("/api/incidents/{incident_id}")
    async def get_incident(
        incident_id: str, who: Principal = Depends(dispatcher)
    ) -> dict[str, Any]:
        """One incident."""
        incident = await rm.get("incidents", incident_id)
        if incident is None:
            raise HTTPException(404, f"no incident {incident_id!r}")
        return incident

    @router.get("/api/incidents/{incident_id}/overlay")
    async def get_overlay(incident_id: str, who: Principal = Depends(dispatcher)) -> dict[str, Any]:
        """The safety-map overlay of one incident."""
        overlay = await rm.get("overlays", incident_id)
        if overlay is None:
            raise HTTPException(404, f"no overlay for incident {incident_id!r} yet")
        return overlay

    @router.get("/api/assignments")
    async def list_assignments(who: Principal = Depends(dispatcher)) -> list[dict[str, Any]]:
        """Recommended and assigned units of open incidents."""
        return await rm.active("assignments")

    @router.get("/api/units")
    async def list_units(who: Principal = Depends(dispatcher)) -> list[dict[str, Any]]:
        """The latest state of every unit that has reported."""
        return await fleet_snapshot(rm, ctx.redis, ctx.namespace)

    @router.get("/api/scenario")
    async def scenario_clock(who: Principal = Depends(dispatcher)) -> dict[str, Any]:
        """The simulated city's clock (scenario time of day, speed, scenario name), as its
        simulator publishes it; ``{"running": false}`` when no simulator is running."""
        try:
            raw = await ctx.redis.get(clock_key(ctx.namespace))
        except Exception:  # noqa: BLE001 - the cache down: no clock to show, not an error
            raw = None
        if not raw:
            return {"running": False}
        data = orjson.loads(raw)
        shown = {k: data.get(k) for k in ("clock", "speed", "scenario", "elapsed_s")}
        return {"running": not data.get("stopped", False), **shown}

    @router.get("/api/alerts")
    async def list_alerts(who: Principal = Depends(dispatcher)) -> list[dict[str, Any]]:
        """Current alerts, drafts awaiting approval included."""
        return await rm.active("alerts")

    @router.get("/api/public/alerts")
    async def public_alerts() -> list[dict[str, Any]]:
        """Public alerts in force, and all-clears standing in place of sent ones until they
        expire, without personal data (anyone)."""
        return await current_public_alerts(rm, datetime.now(UTC))

    async def may_review(request: Request) -> bool:
        token = bearer_of(request.headers) or await ctx.gate.session_token(request)
        if token is None:
            return False
        try:
            who = await ctx.gate.principal(token)
        except TokenError:
            return False
        return who.role in DISPATCH

    @router.get("/api/alerts/{alert_id}/cap")
    async def alert_cap(alert_id: str, request: Request) -> Response:
        """The alert as CAP 1.2 (public once approved; drafts only for dispatchers)."""
        record = await rm.get("alerts", alert_id)
        if record is None or not (is_public_alert(record) or await may_review(request)):
            raise HTTPException(404, f"no public alert {alert_id!r}")
        try:
            alert = alert_from_dict(record)
        except AlertError:
            raise HTTPException(409, "this alert record carries no CAP details yet") from None
        return Response(to_cap(alert, SEOUL_ISSUER), media_type=CAP_MEDIA_TYPE)

    @router.get("/alerts/feed")
    async def alert_feed(request: Request) -> Response:
        """Atom feed of current public alerts, each entry linking its CAP document."""
        base = str(request.base_url).rstrip("/")
        parsed = []
        for record in await rm.all("alerts"):
            if not is_public_alert(record):
                continue
            try:
                parsed.append(alert_from_dict(record))
            except AlertError:
                continue
        body = atom_feed(
            parsed,
            feed_url=f"{base}/alerts/feed",
            cap_url=lambda a: f"{base}/api/alerts/{a.id}/cap",
            issuer=SEOUL_ISSUER,
            now=datetime.now(KST),
        )
        return Response(body, media_type=ATOM_MEDIA_TYPE)

    @router.get("/api/city")
    async def city() -> dict[str, Any]:
        """The city's bounding box and the layers anyone may fetch."""
        return {
            "bbox": list(await ctx.layers.bbox()),
            "public_layers": sorted(PUBLIC_LAYERS),
            "video_port": ctx.video_port or None,
        }

    async def layer_response(name: str) -> Response:
        return Response(
            await ctx.layers.get(name), media_type="application/geo+json", headers=JSON_CACHE
        )

    @router.get("/api/layers/{name}")
    async def layer(name: str, request: Request) -> Response:
        """A city layer as GeoJSON (districts, roads, stations: anyone; others by role)."""
        if name not in LAYERS:
            raise HTTPException(404, f"no layer {name!r}")
        if name not in PUBLIC_LAYERS:
            allowed = (Role.CREW, *DISPATCH) if name in CREW_LAYERS else DISPATCH
            await ctx.gate.require(*allowed)(request)
        return await layer_response(name)

    @router.get("/api/crew/{unit_id}")
    async def crew(unit_id: str, who: Principal = Depends(crew_or_dispatcher)) -> JSONResponse:
        """One unit's current assignment, scene, route, hazard zone, nearest hydrants and the
        emergency room recommended or chosen for its patients."""
        if who.role is Role.CREW and who.unit_id != unit_id:
            raise HTTPException(403, "a crew sees only its own unit")
        unit = await unit_state(rm, ctx.redis, ctx.namespace, unit_id)
        assignment = current_assignment(await rm.active("assignments"), unit_id)
        incident = overlay = None
        if assignment is not None:
            incident = await rm.get("incidents", assignment["incident_id"])
            overlay = await rm.get("overlays", assignment["incident_id"])
        view = crew_view(unit, assignment, incident, overlay)
        if assignment is not None and assignment.get("rerouted_because"):
            view["reroute"] = await reroute_of(str(assignment["rerouted_because"]))
        mine = {assignment["incident_id"]} if assignment is not None else set()
        destination = destination_in_force(await rm.get(DESTINATIONS, unit_id), unit, mine)
        view["destination"] = (await with_diversions(rm, [destination]))[0] if destination else None
        held = await rm.status_since(UNITS, [unit_id])
        view["status_since"] = status_since(unit, held.get(unit_id))
        if incident is not None:
            at = incident["location"]
            point = PlacePoint(id=incident["id"], lon=at["lon"], lat=at["lat"])
            view["place"] = (await asyncio.to_thread(places_of, [point]))[incident["id"]]
        if incident is not None and not view["hydrants"]:
            view["hydrants"] = await city_hydrants(incident["location"])
        return JSONResponse(view)

    async def reroute_of(structure_id: str) -> dict[str, Any]:
        """The closed structure a crew's new route drives around, by name (what a crew needs
        to trust the new route; the structure's readings and who closed it are not theirs)."""
        record = await rm.get(STRUCTURES, structure_id) or {}
        return {"structure_id": structure_id, **{k: record.get(k) for k in ("name", "kind", "gu")}}

    async def city_hydrants(location: dict[str, float]) -> list[dict[str, Any]]:
        import orjson

        layer = orjson.loads(await ctx.layers.get("hydrants"))
        points = [
            {
                "id": f["properties"]["id"],
                "location": {
                    "lon": f["geometry"]["coordinates"][0],
                    "lat": f["geometry"]["coordinates"][1],
                },
            }
            for f in layer["features"]
        ]
        return nearest_points(points, location["lon"], location["lat"])

    return router
