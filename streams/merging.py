"""The merge stage: every zone's incidents near a border, and the merges they call for.

Zones announce each incident within reach of another zone's cell (``streams.zones``); the
merge stage keeps the active ones, and when two of different zones are one emergency
(``streams.fusion.same_emergency``) it asks the younger's zone to merge it into the older
(``merge_away`` items, carried out by ``streams.zone.Zone``). It compares incidents, not
the order in which their evidence arrived, so a border through an emergency is healed
whichever zone saw what first.

Pure over its store (a Faust table in the worker, a dict in tests): ``border:{id}`` holds
an announced active incident, ``asked:{id}`` the incident it was asked to merge into. The
spatial index is derived from the store and rebuilt by :meth:`Merger.warm`.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

import orjson

from streams.contract import Incident, IncidentType
from streams.fusion import ACTIVE, pair_radius_m, same_emergency
from streams.index import KindIndex
from streams.zone import TO_ZONE, Effect
from streams.zones import owner_of

_BORDER, _ASKED = "border:", "asked:"


class Merger:
    """Finds incidents of different zones that are one emergency, and asks for the merge."""

    def __init__(self, store: MutableMapping[str, Any], ref_lat: float = 37.5) -> None:
        self._store = store
        self._ref_lat = ref_lat
        self._index = KindIndex[IncidentType](pair_radius_m, ref_lat)
        self._incidents: dict[str, Incident] = {}
        self.warm()

    def warm(self) -> None:
        """Rebuild the index of border incidents from the store."""
        self._index = KindIndex[IncidentType](pair_radius_m, self._ref_lat)
        self._incidents.clear()
        for key, value in list(self._store.items()):
            if key.startswith(_BORDER):
                self._put(Incident.model_validate(value))

    def _put(self, inc: Incident) -> None:
        self._incidents[inc.id] = inc
        self._index.put(inc.id, inc.type, inc.location.lon, inc.location.lat)

    @property
    def border_count(self) -> int:
        """Active border incidents known."""
        return len(self._incidents)

    def on_incident(self, raw: dict[str, Any]) -> list[Effect]:
        """An announced incident state: remember it while active, and ask for the merges
        it makes due (once per pair)."""
        inc = Incident.model_validate(raw)
        known = self._incidents.get(inc.id)
        if known is not None and known.version > inc.version:
            return []  # an older state, overtaken
        if inc.status not in ACTIVE:
            return self._ended(inc.id)
        self._store[_BORDER + inc.id] = raw
        self._put(inc)
        return self._asks(inc)

    def _asks(self, inc: Incident) -> list[Effect]:
        effects: list[Effect] = []
        zone = owner_of(inc.id)
        for other_id in self._index.near(inc.type, inc.location.lon, inc.location.lat):
            other = self._incidents.get(other_id)
            if other is None or owner_of(other_id) == zone or not same_emergency(inc, other):
                continue
            into, gone = sorted((inc, other), key=lambda i: (i.opened_at, i.id))
            if self._store.get(_ASKED + gone.id) is not None:
                continue  # one merge at a time: asked again once that one is settled
            self._store[_ASKED + gone.id] = into.id
            item = {"merge_away": {"incident_id": gone.id, "into": into.id}}
            effects.append(Effect(TO_ZONE, owner_of(gone.id), orjson.dumps(item)))
        return effects

    def _ended(self, incident_id: str) -> list[Effect]:
        """An incident closed, resolved or merged: forget it, and look again for the
        incidents that were to merge into it (they may belong with another)."""
        self._incidents.pop(incident_id, None)
        self._index.remove(incident_id)
        for key in (_BORDER + incident_id, _ASKED + incident_id):
            if key in self._store:
                del self._store[key]
        waiting = [
            k.removeprefix(_ASKED)
            for k, v in list(self._store.items())
            if k.startswith(_ASKED) and v == incident_id
        ]
        effects: list[Effect] = []
        for gone_id in waiting:
            del self._store[_ASKED + gone_id]
            if gone_id in self._incidents:
                effects += self._asks(self._incidents[gone_id])
        return effects
