"""Input events turned into evidence: what a call, a camera or a sensor says about an emergency."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from streams.contract import (
    Call,
    CctvDetection,
    EvidenceSource,
    IncidentType,
    SensorAlarm,
)
from streams.triage import CALL_TYPE, CCTV_TYPE, SENSOR_TYPE
from streams.words import combine, read

CALL_WEIGHT = 0.55
"""Confidence one independent caller adds (119 calls are rarely false, but details often are)."""
SENSOR_WEIGHT = 0.8
"""Confidence a sensor over its threshold adds (detectors have known nuisance-alarm rates)."""


@dataclass(frozen=True, slots=True)
class Evidence:
    """One validated input event, reduced to what fusion needs."""

    source: EvidenceSource
    id: str
    at: datetime
    type: IncidentType | None
    lon: float
    lat: float
    weight: float
    reporter: str
    kind: str
    patients: int = 0
    density_ppm2: float | None = None
    address: str | None = None
    description: str | None = None
    uncertain: bool = False
    """The type is a guess (an uncategorised call, words against the category): the
    evidence may join any incident near enough (``fusion.search_types``)."""
    value: float | None = None
    """A sensor's reading (in ``unit``): what structures are judged on (``streams.closing``)."""
    unit: str | None = None
    threshold: float | None = None
    """The alarm level the sensor reports its reading against (a river gauge's flood watch)."""

    @property
    def key(self) -> str:
        """Identity of the evidence across sources (for de-duplication)."""
        return f"{self.source.value}:{self.id}"

    def to_json(self) -> dict[str, Any]:
        """Plain values for the internal evidence topic."""
        return {
            "source": self.source.value,
            "id": self.id,
            "at": self.at.isoformat(),
            "type": self.type.value if self.type else None,
            "lon": self.lon,
            "lat": self.lat,
            "weight": self.weight,
            "reporter": self.reporter,
            "kind": self.kind,
            "patients": self.patients,
            "density_ppm2": self.density_ppm2,
            "address": self.address,
            "description": self.description,
            "uncertain": self.uncertain,
            "value": self.value,
            "unit": self.unit,
            "threshold": self.threshold,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Evidence:
        """Inverse of :meth:`to_json`."""
        return cls(
            source=EvidenceSource(data["source"]),
            id=data["id"],
            at=datetime.fromisoformat(data["at"]),
            type=IncidentType(data["type"]) if data["type"] else None,
            lon=float(data["lon"]),
            lat=float(data["lat"]),
            weight=float(data["weight"]),
            reporter=data["reporter"],
            kind=data["kind"],
            patients=int(data["patients"]),
            density_ppm2=data["density_ppm2"],
            address=data["address"],
            description=data["description"],
            uncertain=bool(data.get("uncertain", False)),
            value=data.get("value"),
            unit=data.get("unit"),
            threshold=data.get("threshold"),
        )


def _reporter_of_caller(call: Call) -> str:
    phone = call.caller.phone if call.caller and call.caller.phone else None
    if not phone:
        return f"call:{call.id}"
    # Only a one-way digest of the number is kept: it tells repeat callers apart, never who.
    return "phone:" + hashlib.sha256(phone.encode()).hexdigest()[:16]


def from_call(call: Call) -> Evidence:
    """Evidence from a 119 call: its type from the call-taker's category and the caller's
    words (``streams.words``); a call the words retyped is of kind ``category>type``."""
    category = CALL_TYPE[call.category]
    kind, uncertain = combine(category, read(call.description))
    label = call.category.value if kind is category else f"{call.category.value}>{kind.value}"
    return Evidence(
        source=EvidenceSource.CALL,
        id=call.id,
        at=call.received_at,
        type=kind,
        lon=call.location.lon,
        lat=call.location.lat,
        weight=CALL_WEIGHT,
        reporter=_reporter_of_caller(call),
        kind=label,
        patients=call.patients or 0,
        address=call.address,
        description=call.description,
        uncertain=uncertain,
    )


def from_cctv(event: CctvDetection, lon: float, lat: float) -> Evidence:
    """Evidence from a CCTV detection placed at ``lon, lat`` (its own or its camera's)."""
    return Evidence(
        source=EvidenceSource.CCTV,
        id=event.id,
        at=event.detected_at,
        type=CCTV_TYPE[event.kind],
        lon=lon,
        lat=lat,
        weight=event.confidence,
        reporter=f"camera:{event.camera_id}",
        kind=event.kind.value,
        density_ppm2=event.density_ppm2,
    )


def from_sensor(alarm: SensorAlarm) -> Evidence:
    """Evidence from a sensor alarm; a reading under its threshold carries no incident type."""
    over = alarm.threshold is None or alarm.value >= alarm.threshold
    return Evidence(
        source=EvidenceSource.SENSOR,
        id=alarm.id,
        at=alarm.measured_at,
        type=SENSOR_TYPE[alarm.kind] if over else None,
        lon=alarm.location.lon,
        lat=alarm.location.lat,
        weight=SENSOR_WEIGHT,
        reporter=f"sensor:{alarm.sensor_id}",
        kind=alarm.kind.value,
        value=alarm.value,
        unit=alarm.unit,
        threshold=alarm.threshold,
    )
