"""Dispatch: the live fleet, recommendations for new or escalated incidents, and
assignments when a dispatcher accepts (or automatically for the most urgent).

Pure over its stores (units, assignments, recommendation keys: the dispatch stage's tables
in the worker, dicts in tests); the in-memory ``Fleet`` is rebuilt from them. What an
assignment means for the incident's lifecycle (it is dispatched, on scene) goes to a
:class:`Lifecycle`: the zone itself in tests, feedback records to the zone in the worker
(``streams.dispatch_stage``).

Invariant: a unit is committed (``assigned``) to at most one incident at a time. Every
assignment is made here, in one ordered sequence per city, and only of a unit the fleet
holds as available, which it then holds as dispatched until the unit reports itself
available again or an override releases it.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import math
from collections.abc import MutableMapping
from dataclasses import fields, replace
from datetime import datetime
from typing import Any, Protocol

import orjson

from dispatch import DispatchError, Fleet, Recommender, Unit, UnitUpdate, seed_fleet
from dispatch import UnitStatus as FleetStatus
from geo import City, RoadGraph
from streams.contract import (
    Assignment,
    AssignmentStatus,
    Command,
    CommandAction,
    ContractError,
    Incident,
    UnitStatus,
    UnitStatusValue,
)
from streams.fusion import ACTIVE, IncidentState
from streams.zone import Effect

log = logging.getLogger("goldentime.dispatching")


class Lifecycle(Protocol):
    """Where incident lifecycle changes caused by units go (the zone owns incidents)."""

    def advance(
        self, incident_id: str, unit_status: UnitStatusValue, now: datetime
    ) -> list[Effect]: ...


Store = MutableMapping[str, Any]
ACTIVE_VALUES = frozenset(status.value for status in ACTIVE)
NO_UNIT_CAN_MAKE_IT_S = 24 * 3600.0
"""Breach size reported when no unit can reach the scene at all (the recommender says inf)."""
SERVING = frozenset(
    {UnitStatusValue.DISPATCHED, UnitStatusValue.EN_ROUTE, UnitStatusValue.ON_SCENE}
)
REPLAN_PER_FREED_UNIT = 3
"""Incidents waiting for a unit (planned when none was free) that are planned again, most
urgent first, each time a unit comes free: a crew clearing in a surge costs a few
recommendations, not one per waiting incident, and the next units to clear serve the
next ones."""
_WAITING = "waiting|"


def _breach(breach: bool, breach_s: float) -> float | None:
    """The predicted golden-time breach in seconds (finite, for JSON), or None when met."""
    if not breach:
        return None
    return round(breach_s, 1) if math.isfinite(breach_s) else NO_UNIT_CAN_MAKE_IT_S


_FIELDS = tuple(Assignment.model_fields)


def checked_assignment(route: dict[str, Any] | None, **values: Any) -> Assignment:
    """An Assignment with every field validated except a route geometry built by geo.

    The route (a LineString of road-node positions, hundreds of points) is known good: it
    is attached after validation instead of being re-checked point by point; every other
    field goes through the contract's checks.
    """
    record = Assignment.model_validate({**values, "route": None})
    return record if route is None else record.model_copy(update={"route": route})


def dump_assignment(record: Assignment) -> dict[str, Any]:
    """``record.model_dump(mode="json")``, without walking the route: its GeoJSON (built
    by geo from lists of floats, or read back from this follower's own table) is already
    JSON-ready and is reused as is."""
    if record.route is None:
        return record.model_dump(mode="json")
    data = record.model_dump(mode="json", exclude={"route"})
    return {name: record.route if name == "route" else data[name] for name in _FIELDS}


def encode_dumped(data: dict[str, Any]) -> bytes:
    """The contract bytes of a record already dumped with ``model_dump(mode="json")``:
    the same bytes as ``streams.contract.encode(record)``."""
    return orjson.dumps(data)


def _revised(value: dict[str, Any], **changes: Any) -> Assignment:
    """A stored assignment (written by this follower) with some fields changed."""
    values = {**value, **changes}
    return checked_assignment(values.pop("route", None), **values)


def unit_to_json(unit: Unit) -> dict[str, Any]:
    """Plain values of a fleet unit for a table."""
    data = {f.name: getattr(unit, f.name) for f in fields(unit)}  # flat: no deep copy
    for key in ("status_at", "last_fix_at"):
        data[key] = data[key].isoformat() if data[key] else None
    data["status"] = unit.status.value
    return data


def unit_from_json(data: dict[str, Any]) -> Unit:
    """Inverse of :func:`unit_to_json`."""
    return Unit(
        **{
            **data,
            "status": FleetStatus(data["status"]),
            "status_at": datetime.fromisoformat(data["status_at"]),
            "last_fix_at": datetime.fromisoformat(data["last_fix_at"])
            if data["last_fix_at"]
            else None,
        }
    )


def _urgency(raw: dict[str, Any]) -> tuple[int, float]:
    """Most urgent first: priority, then the earliest deadline."""
    return raw["priority"], datetime.fromisoformat(raw["deadline_at"]).timestamp()


class DispatchFollower:
    """Keeps the fleet and turns incidents and commands into assignments."""

    def __init__(
        self,
        zone: Lifecycle,
        city: City,
        recommender: Recommender,
        units: Store,
        assignments: Store,
        plans: Store,
        started_at: datetime,
    ) -> None:
        self._zone, self._city, self._rec = zone, city, recommender
        self._units, self._assignments, self._plans = units, assignments, plans
        self.fleet: Fleet = seed_fleet(city.stations, started_at)
        for value in list(units.values()):
            self.fleet.put(unit_from_json(value))
        self._unit_incident: dict[str, str] = {}
        # incidents planned while no unit could be recommended, by id (their latest state,
        # without evidence): planned again when units come free (``REPLAN_PER_FREED_UNIT``)
        self._waiting: dict[str, dict[str, Any]] = {
            key.removeprefix(_WAITING): value
            for key, value in list(plans.items())
            if key.startswith(_WAITING)
        }
        # assignment keys by incident, derived from the table (rebuilt with the zone) so that
        # withdrawing or accepting touches one incident's orders, not the whole history
        self._by_incident: dict[str, set[str]] = {}
        for key, value in list(assignments.items()):
            self._by_incident.setdefault(value["incident_id"], set()).add(key)
            if value["status"] == "assigned":
                self._unit_incident[value["unit_id"]] = value["incident_id"]

    # -- fleet ---------------------------------------------------------------------------
    def incident_of(self, unit_id: str) -> str | None:
        """The incident a unit is committed to, if any."""
        return self._unit_incident.get(unit_id)

    def _put_unit(self, unit: Unit) -> None:
        self.fleet.put(unit)
        self._units[unit.unit_id] = unit_to_json(unit)

    def forget(self, incident_id: str) -> None:
        """The incident was forgotten by the zone: so are its plan and orders."""
        self._unwait(incident_id)
        if incident_id in self._plans:
            del self._plans[incident_id]
        for key in self._by_incident.pop(incident_id, set()):
            if key in self._assignments:
                del self._assignments[key]

    def on_unit_status(self, status: UnitStatus, now: datetime) -> list[Effect]:
        """Apply an AVL/crew report to the fleet; illegal ones are refused with a reason."""
        if status.unit_id not in self.fleet:
            loc = status.location
            if loc is None:
                raise ContractError(f"unit {status.unit_id} is unknown and reported no location")
            self._put_unit(
                Unit(
                    unit_id=status.unit_id,
                    kind=status.kind.value,
                    station_id=status.station_id or "unknown",
                    station_lon=loc.lon,
                    station_lat=loc.lat,
                    status=FleetStatus.AVAILABLE,
                    status_at=status.at,
                )
            )
        update = UnitUpdate(
            unit_id=status.unit_id,
            at=status.at,
            status=FleetStatus(status.status.value),
            lon=status.location.lon if status.location else None,
            lat=status.location.lat if status.location else None,
            kind=status.kind.value,
        )
        try:
            unit = self.fleet.apply(update)
        except DispatchError as exc:
            raise ContractError(str(exc), status.id) from None
        self._units[unit.unit_id] = unit_to_json(unit)
        effects: list[Effect] = []
        incident_id = status.incident_id or self._unit_incident.get(status.unit_id)
        if incident_id and not status.incident_id:
            effects += self._zone.advance(incident_id, status.status, now)
        if incident_id and status.status in SERVING:
            self._unwait(incident_id)  # a crew took it on by itself
        if status.status in (UnitStatusValue.AVAILABLE, UnitStatusValue.OUT_OF_SERVICE):
            self._unit_incident.pop(status.unit_id, None)
        if status.status is UnitStatusValue.AVAILABLE:
            effects += self._replan_waiting(now)
        return effects

    def _wait(self, inc: Incident) -> None:
        """Remember an incident no unit could be recommended for (a state already waiting
        is not written again: a fruitless re-plan costs no table write)."""
        known = self._waiting.get(inc.id)
        if known is not None and known["version"] == inc.version:
            return
        raw = inc.model_dump(mode="json", exclude={"evidence"})
        self._waiting[inc.id] = raw
        self._plans[_WAITING + inc.id] = raw

    def _unwait(self, incident_id: str) -> None:
        if self._waiting.pop(incident_id, None) is not None:
            del self._plans[_WAITING + incident_id]

    @property
    def waiting(self) -> list[str]:
        """Incidents waiting for a unit, most urgent first."""
        return self._most_urgent_waiting(len(self._waiting))

    def _most_urgent_waiting(self, n: int) -> list[str]:
        order = heapq.nsmallest(n, self._waiting.values(), key=_urgency)
        return [raw["id"] for raw in order]

    def _replan_waiting(self, now: datetime) -> list[Effect]:
        """A unit came free: plan the most urgent waiting incidents again."""
        effects: list[Effect] = []
        for incident_id in self._most_urgent_waiting(REPLAN_PER_FREED_UNIT):
            raw = self._waiting[incident_id]
            inc = Incident.model_validate({**raw, "evidence": []})
            self._plans.pop(incident_id, None)
            effects += self.on_incident(IncidentState(inc, {}), None, now)
        return effects

    # -- recommendations -----------------------------------------------------------------
    def wants(self, raw: dict[str, Any]) -> bool:
        """Whether an incident state (as published) could change anything here: most
        states (more evidence, a new status) do not, and need no model built."""
        try:
            if raw["status"] not in ACTIVE_VALUES:  # orders to withdraw, or waiting no more
                return bool(self._by_incident.get(raw["id"])) or raw["id"] in self._waiting
            if raw.get("unverified"):
                return False
            plan_key = (
                f"{raw['type']}|{raw['priority']}|{raw.get('patients', 0)}"
                f"|{raw.get('mass_casualty', False)}"
            )
            return bool(self._plans.get(raw["id"]) != plan_key)
        except (KeyError, TypeError):
            return True  # let the model say what is wrong

    def on_incident(
        self, state: IncidentState, previous: Incident | None, now: datetime
    ) -> list[Effect]:
        """Recommend (or re-recommend) units when an incident is new or its needs change."""
        inc = state.incident
        if inc.status not in ACTIVE:
            self._unwait(inc.id)
            moved = self._follow_merge(inc, now) if inc.merged_into else []
            return moved + self._withdraw(inc.id, now, "incident no longer active")
        if inc.unverified:
            return []
        plan_key = f"{inc.type.value}|{inc.priority}|{inc.patients}|{inc.mass_casualty}"
        if self._plans.get(inc.id) == plan_key:
            return []
        self._plans[inc.id] = plan_key
        elapsed_s = max(0.0, (now - inc.opened_at).total_seconds())
        rec = self._rec.recommend(
            inc.type.value,
            inc.priority,
            inc.location.lon,
            inc.location.lat,
            self.fleet,
            now,
            patients=inc.patients,
            elapsed_s=elapsed_s,
            with_routes=True,
        )
        if rec.units:
            self._unwait(inc.id)
        else:
            self._wait(inc)
        auto = self._rec.book.is_automatic(inc.priority)
        effects = self._withdraw(
            inc.id, now, "superseded by a new recommendation", keep=set(rec.unit_ids)
        )
        for pick in rec.units:
            key = f"{inc.id}|{pick.unit_id}"
            if (self._assignments.get(key) or {}).get("status") == "assigned":
                continue
            record = checked_assignment(
                pick.route,
                incident_id=inc.id,
                unit_id=pick.unit_id,
                status=AssignmentStatus.RECOMMENDED,
                eta_s=round(pick.eta_s, 1),
                eta_p50_s=None if pick.eta_p90_s is None else round(pick.eta_s, 1),
                eta_p90_s=None if pick.eta_p90_s is None else round(pick.eta_p90_s, 1),
                distance_m=0.0 if math.isnan(pick.distance_m) else round(pick.distance_m, 1),
                golden_time_s=rec.golden_time_s,
                within_golden_time=pick.within_golden_time,
                issued_at=now,
                unit_kind=pick.kind,
                breach_s=_breach(rec.breach, rec.breach_s),
                issued_by="recommender",
                reason="; ".join(rec.reasons)[:300] or None,
            )
            effects += self._store(record)
            if auto:
                effects += self._assign(key, "auto (priority 1)", None, now)
        return effects

    def _follow_merge(self, inc: Incident, now: datetime) -> list[Effect]:
        """The units committed to an incident merged into another now serve the survivor:
        each order moves (cancelled here, assigned there), the unit stays committed once."""
        survivor = inc.merged_into
        assert survivor is not None
        effects: list[Effect] = []
        for _key, value in self._orders(inc.id):
            if value["status"] != "assigned":
                continue
            at = now.isoformat()
            why = f"merged into {survivor}"
            effects += self._store(
                _revised(value, status="cancelled", issued_at=at, issued_by="merge", reason=why)
            )
            effects += self._store(
                _revised(
                    value,
                    incident_id=survivor,
                    status="assigned",
                    issued_at=at,
                    issued_by="merge",
                    reason=f"moved with {inc.id} (merged)",
                )
            )
            if self._unit_incident.get(value["unit_id"]) == inc.id:
                self._unit_incident[value["unit_id"]] = survivor
            effects += self._zone.advance(survivor, UnitStatusValue.DISPATCHED, now)
        return effects

    def _store(self, record: Assignment) -> list[Effect]:
        key = f"{record.incident_id}|{record.unit_id}"
        data = dump_assignment(record)  # serialised once: the table and the topic
        self._assignments[key] = data
        self._by_incident.setdefault(record.incident_id, set()).add(key)
        return [Effect("assignments", record.incident_id, encode_dumped(data))]

    def _orders(self, incident_id: str) -> list[tuple[str, dict[str, Any]]]:
        """The assignment records of one incident, by key."""
        keys = sorted(self._by_incident.get(incident_id, ()))
        return [(k, v) for k in keys if (v := self._assignments.get(k)) is not None]

    def _withdraw(
        self, incident_id: str, now: datetime, why: str, keep: set[str] | None = None
    ) -> list[Effect]:
        effects: list[Effect] = []
        for _key, value in self._orders(incident_id):
            if value["status"] != "recommended":
                continue
            if keep is not None and value["unit_id"] in keep:
                continue
            record = _revised(value, status="cancelled", issued_at=now.isoformat(), reason=why)
            effects += self._store(record)
        return effects

    def _assign(
        self, key: str, by: str, reason: str | None, now: datetime, command_id: str | None = None
    ) -> list[Effect]:
        """Commit the unit of a recommendation to its incident, if the fleet holds it as
        available (the invariant: see the module); else a refusal when a command asked."""
        value = self._assignments.get(key)
        if value is None:
            return []
        unit_id, incident_id = value["unit_id"], value["incident_id"]
        unit = self.fleet.get(unit_id) if unit_id in self.fleet else None
        if unit is None or unit.status is not FleetStatus.AVAILABLE:
            log.info("unit %s not available for %s; not assigned", unit_id, incident_id)
            if command_id is None:
                return []
            state = "unknown" if unit is None else unit.status.value
            busy_with = self._unit_incident.get(unit_id)
            why = f"refused: unit {unit_id} is {state}" + (
                f" (assigned to {busy_with})" if busy_with else ""
            )
            record = _revised(
                value,
                status="cancelled",
                issued_at=now.isoformat(),
                issued_by=by,
                reason=why,
                command_id=command_id,
            )
            return self._store(record)
        self._put_unit(
            replace(unit, status=FleetStatus.DISPATCHED, status_at=max(now, unit.status_at))
        )
        self._unit_incident[unit_id] = incident_id
        self._unwait(incident_id)  # a unit is on its way: not waiting any more
        record = _revised(
            value,
            status="assigned",
            issued_at=now.isoformat(),
            issued_by=by,
            reason=reason,
            command_id=command_id,
        )
        return self._store(record) + self._zone.advance(
            incident_id, UnitStatusValue.DISPATCHED, now
        )

    # -- closures ------------------------------------------------------------------------
    def reroute(self, structure_id: str, now: datetime) -> list[Effect]:
        """New routes, around the links the recommender now avoids, for every unit
        recommended or on its way whose route crosses them: a new record of the same order
        (same status) naming the closure in ``rerouted_because``."""
        closed = self._rec.closed_edges
        if closed.size == 0:
            return []
        base = self._rec.open_graph_at(now)
        src, dst, _, _ = base.edge_arrays()
        lon, lat = base.node_lonlats()
        blocked = {
            (lon[u], lat[u], lon[v], lat[v]) for u, v in zip(src[closed], dst[closed], strict=True)
        }
        graph = self._rec.graph_at(now)
        effects: list[Effect] = []
        for key in sorted(k for keys in self._by_incident.values() for k in keys):
            value = self._assignments.get(key)
            if value is None or not self._en_route(value):
                continue
            coords = (value.get("route") or {}).get("coordinates") or []
            legs = itertools.pairwise(coords)
            if not any((a[0], a[1], b[0], b[1]) in blocked for a, b in legs):
                continue
            effects += self._reroute_one(value, coords[-1], graph, base, structure_id, now)
        return effects

    def _en_route(self, value: dict[str, Any]) -> bool:
        """Whether an order still has a drive ahead: recommended, or assigned to a unit the
        fleet holds as dispatched or en route to that incident."""
        if value["status"] == "recommended":
            return True
        if value["status"] != "assigned" or value["unit_id"] not in self.fleet:
            return False
        if self._unit_incident.get(value["unit_id"]) != value["incident_id"]:
            return False
        status = self.fleet.get(value["unit_id"]).status
        return status in (FleetStatus.DISPATCHED, FleetStatus.EN_ROUTE)

    def _reroute_one(
        self,
        value: dict[str, Any],
        end: list[float],
        graph: RoadGraph,
        base: RoadGraph,
        structure_id: str,
        now: datetime,
    ) -> list[Effect]:
        unit = self.fleet.get(value["unit_id"]) if value["unit_id"] in self.fleet else None
        if unit is None:
            return []
        pos = unit.position(now)
        start = graph.snap(pos.lon, pos.lat).node
        target = graph.snap(end[0], end[1]).node
        route = graph.route(start, target)
        if route is None:  # the scene lies beyond the closure: no road leads there now
            log.warning("no road for %s around closed %s", value["unit_id"], structure_id)
            record = _revised(
                value,
                route=None,
                within_golden_time=False,
                issued_at=now.isoformat(),
                issued_by="closure",
                reason=f"no road around closed {structure_id}: route withheld, find another "
                "approach",
                rerouted_because=structure_id,
                command_id=None,
            )
            return self._store(record)
        if not pos.stale:
            eta_s = route.eta_s  # driving, with a fresh fix: the drive from where it is
        else:  # not yet rolling (or no fix): what the detour adds to the ETA it was given
            before = base.route(start, target)
            extra = route.eta_s - (before.eta_s if before is not None else route.eta_s)
            eta_s = float(value["eta_s"]) + max(0.0, extra)
        spread = (
            float(value["eta_p90_s"]) - float(value["eta_s"])
            if value.get("eta_p90_s") is not None
            else None
        )
        p90 = None if spread is None else eta_s + spread
        judged = p90 if p90 is not None else eta_s
        golden = float(value["golden_time_s"])
        record = _revised(
            value,
            route=route.geometry,
            eta_s=round(eta_s, 1),
            eta_p50_s=None if p90 is None else round(eta_s, 1),
            eta_p90_s=None if p90 is None else round(p90, 1),
            distance_m=round(route.distance_m, 1),
            within_golden_time=judged <= golden,
            breach_s=None if judged <= golden else round(judged - golden, 1),
            issued_at=now.isoformat(),
            issued_by="closure",
            reason=f"rerouted around closed {structure_id}",
            rerouted_because=structure_id,
            command_id=None,
        )
        return self._store(record)

    # -- commands ------------------------------------------------------------------------
    def on_command(
        self, command: Command, incident: Incident | None, now: datetime
    ) -> list[Effect]:
        """Accept a recommendation or apply an override, recording who and why."""
        if incident is None:
            return []
        if command.action is CommandAction.ACCEPT_RECOMMENDATION:
            wanted = set(command.unit_ids)
            effects: list[Effect] = []
            for key, value in self._orders(incident.id):
                if value["status"] == "recommended" and (not wanted or value["unit_id"] in wanted):
                    effects += self._assign(key, command.by, command.reason, now, command.id)
            refused = any(
                v["status"] == "cancelled" and v.get("command_id") == command.id
                for _, v in self._orders(incident.id)
            )
            if refused and incident.status in ACTIVE:
                # the recommendation was stale: plan again with the fleet as it is now
                self._plans.pop(incident.id, None)
                effects += self.on_incident(IncidentState(incident, {}), None, now)
            return effects
        if command.action is CommandAction.OVERRIDE:
            return self._override(command, incident, now)
        if command.action in (CommandAction.RESOLVE_INCIDENT, CommandAction.CLOSE_INCIDENT):
            return self._withdraw(incident.id, now, command.action.value)
        return []

    def _override(self, command: Command, incident: Incident, now: datetime) -> list[Effect]:
        effects: list[Effect] = []
        for unit_id in command.remove_unit_ids:
            value = self._assignments.get(f"{incident.id}|{unit_id}")
            if value is None or value["status"] == "cancelled":
                continue
            if value["status"] == "assigned" and unit_id in self.fleet:
                unit = self.fleet.get(unit_id)
                self._put_unit(
                    replace(unit, status=FleetStatus.AVAILABLE, status_at=max(now, unit.status_at))
                )
                self._unit_incident.pop(unit_id, None)
            effects += self._store(
                _revised(
                    value,
                    status="cancelled",
                    issued_at=now.isoformat(),
                    issued_by=command.by,
                    reason=f"override: {command.reason}",
                )
            )
        if command.unit_ids:
            g = self._rec.graph_at(now)
            target = g.snap(incident.location.lon, incident.location.lat).node
            times = g.times_to(target)
            for unit_id in command.unit_ids:
                if unit_id not in self.fleet:
                    continue
                unit = self.fleet.get(unit_id)
                pos = unit.position(now)
                node = g.snap(pos.lon, pos.lat).node
                eta = float(times[node])
                route = g.route(node, target)
                record = Assignment(
                    incident_id=incident.id,
                    unit_id=unit_id,
                    status=AssignmentStatus.RECOMMENDED,
                    eta_s=round(eta, 1) if math.isfinite(eta) else 0.0,
                    distance_m=round(route.distance_m, 1) if route else 0.0,
                    route=route.geometry if route else None,
                    golden_time_s=incident.golden_time_s,
                    within_golden_time=math.isfinite(eta) and eta <= incident.golden_time_s,
                    issued_at=now,
                    unit_kind=unit.kind,
                    issued_by=command.by,
                    reason=f"override: {command.reason}",
                )
                effects += self._store(record)
                effects += self._assign(
                    f"{incident.id}|{unit_id}",
                    command.by,
                    f"override: {command.reason}",
                    now,
                    command.id,
                )
        return effects
