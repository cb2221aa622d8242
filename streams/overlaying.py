"""Safety-map overlays in the zone: hazard zone, hydrants, cameras and vulnerable facilities
for each incident, computed when it opens and again when its type changes."""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from datetime import datetime
from typing import Any

from geo import City, GeoError, build_overlay
from streams.contract import Command, Incident, Overlay, UnitStatus, encode
from streams.fusion import ACTIVE, IncidentState
from streams.zone import Effect

log = logging.getLogger("goldentime.overlaying")


class OverlayFollower:
    """Publishes an incident's overlay on the compacted ``overlays`` topic."""

    def __init__(self, city: City, done: MutableMapping[str, Any]) -> None:
        self._city = city
        self._done = done  # incident id → the incident type its overlay was made for

    def on_incident(
        self, state: IncidentState, previous: Incident | None, now: datetime
    ) -> list[Effect]:
        """The overlay of a new incident, or of one whose type changed."""
        inc = state.incident
        if inc.status not in ACTIVE or self._done.get(inc.id) == inc.type.value:
            return []
        try:
            overlay = build_overlay(self._city, inc.type.value, inc.location.lon, inc.location.lat)
        except GeoError as exc:
            log.warning("no overlay for %s: %s", inc.id, exc)
            return []
        record = Overlay.model_validate(
            {
                **overlay.to_dict(),
                "incident_id": inc.id,
                "updated_at": now.isoformat(),
            }
        )
        self._done[inc.id] = inc.type.value
        return [Effect("overlays", inc.id, encode(record))]

    def on_unit_status(self, status: UnitStatus, now: datetime) -> list[Effect]:
        """Unit reports do not change overlays."""
        return []

    def on_command(
        self, command: Command, incident: Incident | None, now: datetime
    ) -> list[Effect]:
        """Commands do not change overlays."""
        return []
