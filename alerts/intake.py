"""Build an AlertContext from the contract's Incident JSON (what the streams worker holds)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from alerts.errors import AlertError
from alerts.model import AlertContext, Mode

__all__ = ["context_from_incident"]


def context_from_incident(
    incident: Mapping[str, Any],
    *,
    hazard_zone: Any | None = None,
    place: str = "",
    place_en: str = "",
    mode: Mode = Mode.ACTUAL,
    patients: int = 0,
    mass_casualty: bool | None = None,
    population_affected: int | None = None,
    vulnerable_facilities: int = 0,
    radius_m: float | None = None,
    on_major_road: bool = False,
    calls: int | None = None,
    sensors: int | None = None,
    cameras: int | None = None,
) -> AlertContext:
    """AlertContext from an Incident dict (id, type, priority, location, opened_at, and the
    evidence counted by source, unless the caller counted only what reports the hazard).

    Only the fields a public alert may use are read; caller details never enter.
    """
    try:
        loc = incident["location"]
        opened = incident["opened_at"]
        opened_at = opened if isinstance(opened, datetime) else datetime.fromisoformat(opened)
        ctx = AlertContext(
            incident_id=str(incident["id"]),
            incident_type=str(incident["type"]),
            priority=int(incident["priority"]),
            lon=float(loc["lon"]),
            lat=float(loc["lat"]),
            opened_at=opened_at,
            hazard_zone=hazard_zone,
            place=place,
            place_en=place_en,
            patients=patients,
            mass_casualty=bool(
                mass_casualty if mass_casualty is not None else incident.get("mass_casualty", False)
            ),
            mode=mode,
            population_affected=population_affected,
            vulnerable_facilities=vulnerable_facilities,
            radius_m=radius_m,
            calls=_count(incident, "call") if calls is None else calls,
            sensors=_count(incident, "sensor") if sensors is None else sensors,
            cameras=_count(incident, "cctv") if cameras is None else cameras,
            on_major_road=on_major_road,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise AlertError(f"incident cannot be turned into an alert context: {exc!r}") from exc
    if opened_at.tzinfo is None:
        raise AlertError("incident opened_at needs an offset (RFC 3339)")
    return ctx


def _count(incident: Mapping[str, Any], source: str) -> int:
    """How many pieces of the incident's evidence came from a source."""
    return sum(1 for ref in incident.get("evidence") or () if ref.get("source") == source)
