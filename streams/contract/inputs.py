"""The four input events: 119 calls, CCTV detections, sensor alarms, unit status."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, model_validator

from streams.contract.common import (
    ContractModel,
    EventId,
    FreeText,
    Location,
    Position,
    ShortText,
    Timestamp,
)
from streams.contract.hospitals import Patient


class CallCategory(StrEnum):
    """What the 119 call-taker classified the call as."""

    FIRE = "fire"
    MEDICAL = "medical"
    CARDIAC_ARREST = "cardiac_arrest"
    RESCUE = "rescue"
    TRAFFIC = "traffic"
    HAZMAT = "hazmat"
    FLOOD = "flood"
    COLLAPSE = "collapse"
    CROWD = "crowd"
    OTHER = "other"


class Caller(ContractModel):
    """Personal data of the caller: never shown on a public channel."""

    phone: str | None = Field(default=None, max_length=40)
    language: str | None = Field(default=None, max_length=16)


class Call(ContractModel):
    """A 119 emergency call."""

    id: EventId
    received_at: Timestamp
    location: Location
    category: CallCategory
    description: FreeText | None = None
    address: ShortText | None = None
    patients: int | None = Field(default=None, ge=0, le=10_000)
    caller: Caller | None = None


class CctvKind(StrEnum):
    """What a CCTV analytics engine detected."""

    SMOKE = "smoke"
    FIRE = "fire"
    CROWD_DENSITY = "crowd_density"
    FALL = "fall"
    COLLISION = "collision"
    FLOOD = "flood"
    INTRUSION = "intrusion"


class CctvDetection(ContractModel):
    """A CCTV analytics detection."""

    id: EventId
    detected_at: Timestamp
    camera_id: EventId
    kind: CctvKind
    confidence: float = Field(ge=0.0, le=1.0)
    location: Position | None = None
    density_ppm2: float | None = Field(default=None, ge=0.0, le=20.0)
    snapshot_url: str | None = Field(default=None, max_length=2000)


class SensorKind(StrEnum):
    """The kind of IoT sensor raising an alarm."""

    SMOKE_DETECTOR = "smoke_detector"
    HEAT = "heat"
    GAS = "gas"
    WATER_LEVEL = "water_level"
    BRIDGE_STRAIN = "bridge_strain"
    TUNNEL_CO = "tunnel_co"
    AIR_QUALITY_PM25 = "air_quality_pm25"
    SEISMIC = "seismic"
    WIND = "wind"


class SensorAlarm(ContractModel):
    """An IoT sensor alarm (a reading, its unit and the threshold it is judged by)."""

    id: EventId
    measured_at: Timestamp
    sensor_id: EventId
    kind: SensorKind
    value: float
    unit: str = Field(max_length=32)
    threshold: float | None = None
    location: Position
    direction_deg: float | None = Field(default=None, ge=0.0, lt=360.0)

    @model_validator(mode="after")
    def _wind_has_direction(self) -> SensorAlarm:
        if self.kind is SensorKind.WIND and self.value < 0:
            raise ValueError("wind speed (m/s) cannot be negative")
        return self


class UnitKind(StrEnum):
    """Kinds of response unit."""

    ENGINE = "engine"
    LADDER = "ladder"
    AMBULANCE = "ambulance"
    RESCUE = "rescue"
    HAZMAT = "hazmat"
    COMMAND = "command"


class UnitStatusValue(StrEnum):
    """A unit's status, from AVL and the crew's status buttons."""

    AVAILABLE = "available"
    DISPATCHED = "dispatched"
    EN_ROUTE = "en_route"
    ON_SCENE = "on_scene"
    TRANSPORTING = "transporting"
    AT_HOSPITAL = "at_hospital"
    OUT_OF_SERVICE = "out_of_service"


class UnitStatus(ContractModel):
    """A unit's position and status at a time."""

    unit_id: EventId
    at: Timestamp
    kind: UnitKind
    station_id: EventId | None = None
    status: UnitStatusValue
    location: Position | None = None
    incident_id: EventId | None = None
    patient: Patient | None = None
    """The patient(s) the crew has contact with, sent with ``on_scene``."""

    @property
    def id(self) -> str:
        """The event id: a unit reports once per instant, so unit and time identify it."""
        return f"{self.unit_id}@{self.at.isoformat()}"
