"""The fusion zone: one ordered sequence of evidence, unit reports and dispatcher commands
turned into incident states and other effects.

Pure over its stores (mappings: Faust tables in the worker, dicts in tests); the agent only
moves messages in and effects out. Caches and the spatial index are derived from the
incident store and rebuilt by :meth:`Zone.warm` after a restart or rebalance.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import orjson

from streams import patients
from streams.contract import (
    Command,
    CommandAction,
    ContractError,
    Incident,
    IncidentStatus,
    IncidentType,
    UnitStatus,
    UnitStatusValue,
)
from streams.contract.commands import RULINGS
from streams.evidence import Evidence
from streams.fusion import (
    ACTIVE,
    IncidentState,
    absorb,
    border_reach_m,
    join_radius_m,
    match,
    open_incident,
    related,
    search_types,
)
from streams.index import KindIndex
from streams.intake import MAX_AGE
from streams.rulings import merge, merged_away, retype, split
from streams.zones import CITY_ZONE, WIDEST_REACH_M, ZoneMap, owner_of, tag

Store = MutableMapping[str, Any]

UNVERIFIED_EXPIRE = timedelta(minutes=30)
"""A lone unconfirmed camera detection with nothing further for this long is closed."""
OPEN_EXPIRE = timedelta(hours=2)
"""An incident nobody was sent to and nobody reported again for this long is closed."""
RESOLVED_EXPIRE = timedelta(minutes=30)
"""A resolved incident is closed after this long (late evidence within it reopens nothing)."""
RETAIN_CLOSED = MAX_AGE + timedelta(days=1)
"""A closed incident is forgotten (its table entries deleted, tombstones in the changelogs)
this long after it closed, or state would grow for ever. Evidence it counted is then older
than intake accepts (``MAX_AGE``), and the zone refuses evidence older than
``FORGET_HORIZON``: a replay of it can never open a second incident."""
FORGET_HORIZON = RETAIN_CLOSED - timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Effect:
    """A record to produce: output topic (base name), key and value."""

    topic: str
    key: str
    value: bytes


TO_ZONE = "zone"
"""Effects for another zone (or this one) on the zone topic, keyed by zone: the steps of a
merge across a border."""
TO_MERGE = "merge"
"""Effects for the merge stage (``streams.merging``): incidents near a zone border."""
MERGE_KEY = "merge"
BORDER_MERGE_ROLE = "system"


def border_merge(gone: str, into: str, version: int, now: datetime) -> Command:
    """The merge the merge stage asks for: ``gone`` (as of ``version``) into ``into``."""
    return Command(
        id=f"merge:{gone}:{into}:{version}",
        at=now,
        action=CommandAction.MERGE_INCIDENT,
        by="zone-merge",
        role=BORDER_MERGE_ROLE,
        incident_id=gone,
        into_incident_id=into,
        reason="one emergency across a zone border",
    )


class Follower(Protocol):
    """Reacts to zone changes with more effects (dispatch, overlays, alerts)."""

    def on_incident(
        self, state: IncidentState, previous: Incident | None, now: datetime
    ) -> list[Effect]: ...

    def on_unit_status(self, status: UnitStatus, now: datetime) -> list[Effect]: ...

    def on_command(
        self, command: Command, incident: Incident | None, now: datetime
    ) -> list[Effect]: ...

    def forget(self, incident_id: str) -> None:
        """Drop what the follower keeps about an incident the zone has forgotten."""


class Zone:
    """Fusion and incident lifecycle for one zone."""

    def __init__(
        self,
        incidents: Store,
        commands: Store,
        district_of: Callable[[float, float], str | None],
        followers: list[Follower] | None = None,
        ref_lat: float = 37.5,
        name: str = CITY_ZONE,
        zones: ZoneMap | None = None,
    ) -> None:
        self.name = name
        self._zones = zones if zones is not None and zones.count > 1 else None
        self._incidents = incidents
        self._commands = commands  # command id → action, for replays of commands
        self._district_of = district_of
        self._followers = followers or []
        self._ref_lat = ref_lat
        self._cache: dict[str, IncidentState] = {}
        self._resolved: dict[str, IncidentState] = {}
        self._closed: dict[str, datetime] = {}  # closed incident id → when it closed
        self._index = KindIndex[IncidentType](join_radius_m, ref_lat)
        # incidents merged into another: where they were, so late evidence finds the survivor
        self._sites = KindIndex[IncidentType](join_radius_m, ref_lat)
        self._merged: dict[str, Incident] = {}
        # evidence key → the incident counting it: derived from the incident store, so
        # one table write records both the change and what it counted (no second table
        # whose changelog a crash could leave ahead or behind)
        self._owner: dict[str, str] = {}
        self._dirty: dict[str, Incident | None] | None = None  # see begin_batch()
        self._unsaved: dict[str, IncidentState] = {}
        self.warm()

    def warm(self) -> None:
        """Rebuild the cache, spatial index and evidence owners from the incident store."""
        self._cache.clear()
        self._resolved.clear()
        self._closed.clear()
        self._owner.clear()
        self._index = KindIndex[IncidentType](join_radius_m, self._ref_lat)
        self._sites = KindIndex[IncidentType](join_radius_m, self._ref_lat)
        self._merged.clear()
        for value in list(self._incidents.values()):
            state = IncidentState.from_json(value)
            self._remember(state)
            for ref in state.incident.evidence:
                self._owner[f"{ref.source.value}:{ref.id}"] = state.incident.id

    def republish(self, now: datetime) -> list[Effect]:
        """The latest state of every active incident, and the followers' reactions to it,
        to send again after a recovery.

        A crash can fall between a table's changelog write and the sends: the tables then
        say "done" while the topics lack the last state, or a follower never saw it.
        Sending the latest state again is harmless (consumers keep the highest version),
        and followers act only on what they have not handled yet (their own tables say).
        """
        effects: list[Effect] = []
        for state in list(self._cache.values()):
            effects += self._publish(state, None, now)
        return effects

    def add_follower(self, follower: Follower) -> None:
        """Let ``follower`` react to every change of this zone."""
        self._followers.append(follower)

    @property
    def active_count(self) -> int:
        """Active incidents in the zone."""
        return len(self._cache)

    def _remember(self, state: IncidentState) -> None:
        inc = state.incident
        if inc.status in ACTIVE:
            self._cache[inc.id] = state
            self._index.put(inc.id, inc.type, inc.location.lon, inc.location.lat)
        else:
            self._cache.pop(inc.id, None)
            self._index.remove(inc.id)
        if inc.status is IncidentStatus.RESOLVED:
            self._resolved[inc.id] = state
        else:
            self._resolved.pop(inc.id, None)
        if inc.status is IncidentStatus.CLOSED:
            self._closed[inc.id] = inc.updated_at
        if inc.merged_into is not None:
            self._merged[inc.id] = inc
            self._sites.put(inc.id, inc.type, inc.location.lon, inc.location.lat)

    def _save(self, state: IncidentState, previous: Incident | None, now: datetime) -> list[Effect]:
        inc = state.incident
        self._remember(state)
        if self._dirty is not None:  # deferred: stored and published once, latest state
            self._dirty.setdefault(inc.id, previous)
            self._unsaved[inc.id] = state
            return []
        return self._publish(state, previous, now, self._store(state))

    def _store(self, state: IncidentState) -> dict[str, Any]:
        data = state.incident.model_dump(mode="json")
        self._incidents[state.incident.id] = {
            "incident": data,
            "reporters": state.reporters,
            "patients_by_report": state.patients_by_report,
        }
        return data

    def _publish(
        self,
        state: IncidentState,
        previous: Incident | None,
        now: datetime,
        data: dict[str, Any] | None = None,
    ) -> list[Effect]:
        inc = state.incident
        value = orjson.dumps(data if data is not None else inc.model_dump(mode="json"))
        effects = [Effect("incidents", inc.id, value)]
        if self._zones is not None:
            reach = border_reach_m(inc.type) if inc.status in ACTIVE else WIDEST_REACH_M
            if self._zones.near_border(inc.location.lon, inc.location.lat, reach):
                effects.append(Effect(TO_MERGE, MERGE_KEY, b'{"incident":' + value + b"}"))
        for follower in self._followers:
            effects += follower.on_incident(state, previous, now)
        return effects

    def _own(self, state: IncidentState) -> IncidentState:
        """A new incident with this zone's name in its id (``streams.zones``)."""
        if self.name == CITY_ZONE:
            return state
        owned = state.incident.model_copy(update={"id": tag(state.incident.id, self.name)})
        return state.revised(owned)

    def begin_batch(self) -> None:
        """Defer publishing until :meth:`flush`, so that each incident changed by several
        inputs of a batch is published, and re-planned, once in its latest state.

        State (tables, cache, index) still changes at once; only the incident record and
        the followers' reactions (recommendation, overlay, alert draft) wait. Changes
        pending from an interrupted batch are kept until the next flush.
        """
        if self._dirty is None:
            self._dirty = {}

    def flush(self, now: datetime) -> list[Effect]:
        """The effects deferred since :meth:`begin_batch`: each changed incident's latest
        state, then what the followers do about it; publishing is immediate again after."""
        dirty, self._dirty = self._dirty or {}, None
        unsaved, self._unsaved = self._unsaved, {}
        stored = {i: self._store(state) for i, state in unsaved.items()}
        effects: list[Effect] = []
        pending = list(dirty.items())
        for n, (incident_id, previous) in enumerate(pending):
            state = self.get(incident_id)
            if state is None:
                continue
            try:
                effects += self._publish(state, previous, now, stored.get(incident_id))
            except Exception:
                self._dirty = dict(pending[n:])  # a retried batch publishes them again
                raise
        return effects

    def get(self, incident_id: str) -> IncidentState | None:
        """An incident's state, active or not."""
        if incident_id in self._cache:
            return self._cache[incident_id]
        if incident_id in self._unsaved:
            return self._unsaved[incident_id]
        raw = self._incidents.get(incident_id)
        return IncidentState.from_json(raw) if raw else None

    def evidence(self, ev: Evidence, now: datetime) -> list[Effect]:
        """Fuse one piece of evidence (a replay of one already counted has no effect).

        Evidence with no type (a sensor reading under its threshold) changes nothing, and
        neither does its replay, so nothing is stored for it.
        """
        if ev.type is None or ev.key in self._owner:
            return []
        if now - ev.at > FORGET_HORIZON:
            raise ContractError(
                f"evidence from {ev.at.isoformat()} is older than the zone remembers "
                f"({FORGET_HORIZON.days} days): it may have been counted by an incident "
                "since forgotten",
                ev.id,
            )
        kinds = search_types(ev)
        near = [self._cache[i] for kind in kinds for i in self._index.near(kind, ev.lon, ev.lat)]
        if self._merged:
            near += self._survivor_sites(kinds, ev)
        state = match(ev, near)
        if state is not None:
            state = self._cache[state.incident.id]  # a survivor found at a merged site
        if state is None:
            nearby = [self._cache[i] for i in self._index.near(IncidentType.OTHER, ev.lon, ev.lat)]
            district = self._district_of(ev.lon, ev.lat)
            new, previous = self._own(open_incident(ev, district, related(ev, nearby))), None
            if self.get(new.incident.id) is not None:  # the same first evidence, replayed
                self._owner[ev.key] = new.incident.id
                return []
        else:
            new, previous = absorb(state, ev), state.incident
        self._owner[ev.key] = new.incident.id
        return self._save(new, previous, now)

    def _survivor_sites(self, kinds: tuple[IncidentType, ...], ev: Evidence) -> list[IncidentState]:
        """Active survivors of merges, each placed (and typed) where an incident merged into
        it was, for evidence near there."""
        sites: list[IncidentState] = []
        for site_id in {i for kind in kinds for i in self._sites.near(kind, ev.lon, ev.lat)}:
            gone, survivor = self._merged[site_id], self._survivor(site_id)
            if survivor is not None:
                where = {"location": gone.location, "type": gone.type}
                sites.append(IncidentState(survivor.incident.model_copy(update=where)))
        return sites

    def _survivor(self, incident_id: str) -> IncidentState | None:
        """The active incident a merged one now lives on in (merges may chain)."""
        seen: set[str] = set()
        while incident_id in self._merged and incident_id not in seen:
            seen.add(incident_id)
            incident_id = self._merged[incident_id].merged_into or incident_id
        return self._cache.get(incident_id)

    def _rule(self, command: Command, now: datetime) -> list[Effect]:
        """Apply a dispatcher's merge, split or retype (``streams.rulings``)."""
        # each ruling refuses (ContractError) an incident that is missing or no longer active
        state = self.get(command.incident_id) if command.incident_id else None
        if command.action is CommandAction.RETYPE_INCIDENT:
            new = retype(state, command, now)
            assert state is not None
            return self._save(new, state.incident, now)
        if command.action is CommandAction.MERGE_INCIDENT:
            if command.into_incident_id and owner_of(command.into_incident_id) != self.name:
                return self._ask_adopt(state, command.into_incident_id, command)
            into = self.get(command.into_incident_id) if command.into_incident_id else None
            closed, survivor = merge(state, into, command, now)
            assert state is not None and into is not None
            for key in survivor.keys:
                self._owner[key] = survivor.incident.id
            effects = self._save(closed, state.incident, now)
            return effects + self._save(survivor, into.incident, now)
        where = state.incident.location if state else None
        district = self._district_of(where.lon, where.lat) if where else None
        rest, new = split(state, command, district, now)
        new = self._own(new)
        assert state is not None
        for key in new.keys:
            self._owner[key] = new.incident.id
        return self._save(rest, state.incident, now) + self._save(new, None, now)

    # A merge across a zone border (streams.zones), in three steps, each in its zone's
    # order: the younger incident's zone sends it to the survivor's (``merge_away``), which
    # takes it in (``adopt``) and says what it took (``merged``); only then does the younger
    # close, sending first whatever it gained meanwhile. Evidence is never held by no
    # incident; while a step is on its way it may be held by both, so the survivor pools
    # patients by report (``streams.patients``) and a report held twice counts once.

    def merge_away(self, gone_id: str, into_id: str, now: datetime) -> list[Effect]:
        """The merge stage found ``gone_id`` (of this zone) one emergency with ``into_id``
        (of another): send it there (nothing if it is no longer active)."""
        state = self.get(gone_id)
        if state is None or state.incident.status not in ACTIVE:
            return []
        command = border_merge(gone_id, into_id, state.incident.version, now)
        return self._ask_adopt(state, into_id, command)

    def _ask_adopt(
        self,
        state: IncidentState | None,
        into_id: str,
        command: Command,
        held: list[str] | None = None,
    ) -> list[Effect]:
        if state is None or state.incident.status not in ACTIVE:
            raise ContractError(
                f"{command.action.value}: no active incident {command.incident_id!r}", command.id
            )
        item = {
            "adopt": {
                "into": into_id,
                "state": state.to_json(),
                "command": command.model_dump(mode="json"),
                "held": held or [],
            }
        }
        return [Effect(TO_ZONE, owner_of(into_id), orjson.dumps(item))]

    def adopt(self, item: dict[str, Any], now: datetime) -> list[Effect]:
        """Take in an incident of another zone merged into one of this zone's (once per
        command); refused (:class:`ContractError`) for a dispatcher's merge into an incident
        no longer active, ignored for the merge stage's (the incidents stay apart)."""
        command = Command.model_validate(item["command"])
        done = f"adopt:{command.id}"
        if self._commands.get(done) is not None:
            return []
        gone = IncidentState.from_json(item["state"])
        survivor = self._survivor(item["into"])
        if survivor is None:
            if command.role == BORDER_MERGE_ROLE:
                return []
            raise ContractError(f"merge_incident: no active incident {item['into']!r}", command.id)
        self._commands[done] = command.action.value
        effects: list[Effect] = []
        merged = survivor
        held = patients.covers(survivor.patients_by_report, gone.patients_by_report)
        if not (gone.keys <= survivor.keys and held):  # not taken in (by an earlier request)
            into = command.model_copy(update={"into_incident_id": survivor.incident.id})
            _, merged = merge(gone, survivor, into, now)
            for key in merged.keys:
                self._owner[key] = merged.incident.id
            effects = self._save(merged, survivor.incident, now)
        reply = {
            "merged": {
                "incident_id": gone.incident.id,
                "into": merged.incident.id,
                "keys": sorted(set(item["held"]) | gone.keys),
                "command": item["command"],
            }
        }
        return [*effects, Effect(TO_ZONE, owner_of(gone.incident.id), orjson.dumps(reply))]

    def merged(self, item: dict[str, Any], now: datetime) -> list[Effect]:
        """The survivor's zone took this incident in: close it as merged, or first send
        what it gained since it was sent. An incident that ended meanwhile (aged out,
        closed by a dispatcher) is marked merged all the same: the survivor holds its
        evidence now, and evidence is counted once.

        Two merges on their way at once can cross (this incident into that one while that
        one is merged into this one): each zone then took the other in, and the incident
        of the smaller id stays while the other closes into it."""
        state = self.get(item["incident_id"])
        if state is None or state.incident.merged_into is not None:
            return []
        if state.incident.id < item["into"] and _took_in(state.incident, item["into"]):
            return []  # crossed: this one stays, the other closes into it
        inc, held = state.incident, set(item["keys"])
        command = Command.model_validate(item["command"])
        gained = [r for r in inc.evidence if f"{r.source.value}:{r.id}" not in held]
        if gained:
            # what the survivor does not hold yet; an unattributed total goes again (whole:
            # the survivor pools it with the one it holds, ``streams.patients.pooled``)
            by_report = patients.without(state.patients_by_report, held)
            rest = inc.model_copy(
                update={
                    "evidence": gained,
                    "patients": patients.total(by_report),
                    "status": inc.status if inc.status in ACTIVE else IncidentStatus.OPEN,
                }
            )
            again = command.model_copy(update={"id": f"{command.id}:{inc.version}"[:128]})
            remaining = IncidentState(rest, state.reporters, patients_by_report=by_report)
            return self._ask_adopt(remaining, item["into"], again, sorted(held))
        return self._save(merged_away(inc, item["into"], command, now), inc, now)

    def unit_status(self, status: UnitStatus, now: datetime) -> list[Effect]:
        """Apply a unit report: lifecycle of the incident it names, then followers."""
        effects: list[Effect] = []
        for follower in self._followers:
            effects += follower.on_unit_status(status, now)
        if status.incident_id:
            effects += self.advance(status.incident_id, status.status, now)
        return effects

    def advance(
        self, incident_id: str, unit_status: UnitStatusValue, now: datetime
    ) -> list[Effect]:
        """Move an incident forward (never back) as its units report."""
        state = self.get(incident_id)
        if state is None or state.incident.status not in ACTIVE:
            return []
        inc = state.incident
        target = {
            UnitStatusValue.DISPATCHED: IncidentStatus.DISPATCHED,
            UnitStatusValue.EN_ROUTE: IncidentStatus.DISPATCHED,
            UnitStatusValue.ON_SCENE: IncidentStatus.ON_SCENE,
        }.get(unit_status)
        order = [IncidentStatus.OPEN, IncidentStatus.DISPATCHED, IncidentStatus.ON_SCENE]
        if target is None or order.index(target) <= order.index(inc.status):
            return []
        return self._set_status(state, target, now)

    def mark_dispatched(self, incident_id: str, now: datetime) -> list[Effect]:
        """An incident to which a unit was assigned is dispatched (if it was only open)."""
        return self.advance(incident_id, UnitStatusValue.DISPATCHED, now)

    def _set_status(
        self, state: IncidentState, status: IncidentStatus, now: datetime
    ) -> list[Effect]:
        inc = state.incident
        updated = inc.model_copy(
            update={
                "status": status,
                "updated_at": max(inc.updated_at, now),
                "version": inc.version + 1,
            }
        )
        return self._save(state.revised(updated), inc, now)

    def command(self, command: Command, now: datetime) -> list[Effect]:
        """Apply a dispatcher command once (replays of the same command id do nothing)."""
        key = f"cmd:{command.id}"
        if self._commands.get(key) is not None:
            return []
        self._commands[key] = command.action.value
        state = self.get(command.incident_id) if command.incident_id else None
        effects: list[Effect] = []
        if command.action in RULINGS:
            effects += self._rule(command, now)
        elif state is not None and command.action is CommandAction.RESOLVE_INCIDENT:
            if state.incident.status in ACTIVE:
                effects += self._set_status(state, IncidentStatus.RESOLVED, now)
        elif (
            state is not None
            and command.action is CommandAction.CLOSE_INCIDENT
            and state.incident.status is not IncidentStatus.CLOSED
        ):
            effects += self._set_status(state, IncidentStatus.CLOSED, now)
        latest = self.get(command.incident_id) if command.incident_id else None
        incident = latest.incident if latest else None
        for follower in self._followers:
            effects += follower.on_command(command, incident, now)
        return effects

    def tick(self, now: datetime) -> list[Effect]:
        """Age out stale incidents by rule."""
        effects: list[Effect] = []
        for state in list(self._cache.values()):
            inc = state.incident
            idle = now - inc.updated_at
            if inc.status is IncidentStatus.OPEN and (
                (inc.unverified and idle > UNVERIFIED_EXPIRE) or idle > OPEN_EXPIRE
            ):
                effects += self._set_status(state, IncidentStatus.CLOSED, now)
        for state in list(self._resolved.values()):
            if now - state.incident.updated_at > RESOLVED_EXPIRE:
                effects += self._set_status(state, IncidentStatus.CLOSED, now)
        for incident_id, closed_at in list(self._closed.items()):
            if now - closed_at > RETAIN_CLOSED:
                self.forget(incident_id)
        return effects

    def forget(self, incident_id: str) -> None:
        """Delete a closed incident and what the followers keep about it."""
        state = self.get(incident_id)
        self._closed.pop(incident_id, None)
        if state is None or state.incident.status is not IncidentStatus.CLOSED:
            return
        for ref in state.incident.evidence:
            self._owner.pop(f"{ref.source.value}:{ref.id}", None)
        if self._merged.pop(incident_id, None) is not None:
            self._sites.remove(incident_id)
        for follower in self._followers:
            follower.forget(incident_id)
        if incident_id in self._incidents:
            del self._incidents[incident_id]


def _took_in(incident: Incident, other_id: str) -> bool:
    """Whether ``incident`` took the incident ``other_id`` in as the survivor of a merge."""
    merge = CommandAction.MERGE_INCIDENT.value
    return any(r.action == merge and r.other_incident_id == other_id for r in incident.rulings)
