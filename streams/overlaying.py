"""Safety-map overlays in the zone: hazard zone, hydrants, cameras and vulnerable facilities
for each incident, computed when it opens and again when its type changes.

The overlay is built here from geo's own values, so its record is written straight to the
contract JSON (the bytes ``encode(Overlay.model_validate(...))`` gives) after cheap checks;
anything unusual (a non-float coordinate, an odd id, a value of another type) goes through
the full contract model instead.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping, MutableMapping
from datetime import datetime
from typing import Any

import numpy as np
import orjson
from pydantic import TypeAdapter

from geo import City, GeoError, build_overlay
from geo import Overlay as GeoOverlay
from streams.contract import Command, Incident, Overlay, UnitStatus, encode
from streams.contract.common import Timestamp
from streams.fusion import ACTIVE, IncidentState
from streams.zone import Effect

__all__ = ["OverlayFollower", "overlay_payload"]

log = logging.getLogger("goldentime.overlaying")

_EVENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@/-]*$")
_PLAIN = (str, int, float, bool, type(None))
_TIMESTAMP: TypeAdapter[datetime] = TypeAdapter(Timestamp)
_ACTIVE_VALUES = frozenset(status.value for status in ACTIVE)


class OverlayFollower:
    """Publishes an incident's overlay on the compacted ``overlays`` topic."""

    def __init__(self, city: City, done: MutableMapping[str, Any]) -> None:
        self._city = city
        self._done = done  # incident id → the incident type its overlay was made for

    def forget(self, incident_id: str) -> None:
        """The incident was forgotten by the zone."""
        if incident_id in self._done:
            del self._done[incident_id]

    def wants(self, incident_id: str, status: str, incident_type: str) -> bool:
        """Whether an incident in this state needs an overlay made (cheap: plain values)."""
        return status in _ACTIVE_VALUES and self._done.get(incident_id) != incident_type

    def on_incident(
        self, state: IncidentState, previous: Incident | None, now: datetime
    ) -> list[Effect]:
        """The overlay of a new incident, or of one whose type changed."""
        inc = state.incident
        if not self.wants(inc.id, inc.status.value, inc.type.value):
            return []
        try:
            overlay = build_overlay(self._city, inc.type.value, inc.location.lon, inc.location.lat)
        except GeoError as exc:
            log.warning("no overlay for %s: %s", inc.id, exc)
            return []
        payload = overlay_payload(overlay, inc.id, now)
        self._done[inc.id] = inc.type.value
        return [Effect("overlays", inc.id, payload)]

    def on_unit_status(self, status: UnitStatus, now: datetime) -> list[Effect]:
        """Unit reports do not change overlays."""
        return []

    def on_command(
        self, command: Command, incident: Incident | None, now: datetime
    ) -> list[Effect]:
        """Commands do not change overlays."""
        return []


def overlay_payload(overlay: GeoOverlay, incident_id: str, updated_at: datetime) -> bytes:
    """The contract JSON of an overlay record, as encode(Overlay.model_validate(...)) writes it."""
    fast = _fast_record(overlay, incident_id)
    if fast is None:
        record = Overlay.model_validate(
            {**overlay.to_dict(), "incident_id": incident_id, "updated_at": updated_at.isoformat()}
        )
        return encode(record)
    when = _TIMESTAMP.validate_python(updated_at.isoformat())
    fast["updated_at"] = _TIMESTAMP.dump_python(when, mode="json")
    return orjson.dumps(fast)


def _fast_record(overlay: GeoOverlay, incident_id: str) -> dict[str, Any] | None:
    """The model_dump(mode='json') of the record without updated_at, or None to validate."""
    if not (
        type(incident_id) is str
        and len(incident_id) <= 128
        and _EVENT_ID.match(incident_id)
        and incident_id == incident_id.strip()
        and _plain_geojson(overlay.hazard_zone)
    ):
        return None
    out: dict[str, Any] = {"incident_id": incident_id, "hazard_zone": overlay.hazard_zone}
    for name, features in (
        ("hydrants", overlay.hydrants),
        ("cameras", overlay.cameras),
        ("vulnerable_facilities", overlay.vulnerable_facilities),
    ):
        plain = [_plain_feature(f) for f in features]
        if any(p is None for p in plain):
            return None
        out[name] = plain
    return out


def _plain_geojson(geometry: Mapping[str, Any]) -> bool:
    """A Polygon of numeric (lon, lat) pairs in WGS84 range, as geo builds hazard zones."""
    if type(geometry) is not dict or list(geometry) != ["type", "coordinates"]:
        return False
    rings = geometry["coordinates"]
    if geometry["type"] != "Polygon" or type(rings) not in (tuple, list) or not rings:
        return False
    for ring in rings:
        if type(ring) not in (tuple, list):
            return False
        try:
            xy = np.asarray(ring)
        except ValueError:  # ragged
            return False
        if xy.dtype != np.float64 or xy.ndim != 2 or xy.shape[1] != 2 or not len(xy):
            return False  # strings, None, 3-D or empty: the contract model decides
        lon, lat = xy[:, 0], xy[:, 1]
        if not (np.isfinite(xy).all() and lon.min() >= -180 and lon.max() <= 180):
            return False
        if not (lat.min() >= -90 and lat.max() <= 90):
            return False
    return True


def _plain_feature(feature: Mapping[str, Any]) -> dict[str, Any] | None:
    """A map feature as the contract dumps it (id, location, then the rest), or None."""
    fid = feature.get("id")
    loc = feature.get("location")
    if type(fid) is not str or len(fid) > 128 or fid != fid.strip():
        return None
    if type(loc) is not dict or list(loc) != ["lon", "lat"]:
        return None
    lon, lat = loc["lon"], loc["lat"]
    if type(lon) is not float or type(lat) is not float:
        return None
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        return None
    out: dict[str, Any] = {"id": fid, "location": {"lon": lon, "lat": lat}}
    for key, value in feature.items():
        if key in ("id", "location"):
            continue
        if type(key) is not str or type(value) not in _PLAIN:
            return None
        if type(value) is float and not math.isfinite(value):
            return None
        out[key] = value
    return out
