"""The external contract in code: every input and output event, defined once."""

from streams.contract.codec import ContractError, decode, encode, payload_text
from streams.contract.commands import Command, CommandAction
from streams.contract.common import ContractModel, Location, Position
from streams.contract.inputs import (
    Call,
    CallCategory,
    CctvDetection,
    CctvKind,
    SensorAlarm,
    SensorKind,
    UnitKind,
    UnitStatus,
    UnitStatusValue,
)
from streams.contract.outputs import (
    Alert,
    AlertReason,
    AlertStatus,
    Assignment,
    AssignmentStatus,
    DeadLetter,
    EvidenceRef,
    EvidenceSource,
    Incident,
    IncidentStatus,
    IncidentType,
    MapFeature,
    Overlay,
    PublicAction,
    Ruling,
    Severity,
)

INPUT_MODELS: dict[str, type[ContractModel]] = {
    "calls": Call,
    "cctv-events": CctvDetection,
    "sensor-alarms": SensorAlarm,
    "unit-status": UnitStatus,
}
OUTPUT_MODELS: dict[str, type[ContractModel]] = {
    "incidents": Incident,
    "assignments": Assignment,
    "overlays": Overlay,
    "alerts": Alert,
    "deadletter": DeadLetter,
}

__all__ = [
    "INPUT_MODELS",
    "OUTPUT_MODELS",
    "Alert",
    "AlertReason",
    "AlertStatus",
    "Assignment",
    "AssignmentStatus",
    "Call",
    "CallCategory",
    "CctvDetection",
    "CctvKind",
    "Command",
    "CommandAction",
    "ContractError",
    "ContractModel",
    "DeadLetter",
    "EvidenceRef",
    "EvidenceSource",
    "Incident",
    "IncidentStatus",
    "IncidentType",
    "Location",
    "MapFeature",
    "Overlay",
    "Position",
    "PublicAction",
    "Ruling",
    "SensorAlarm",
    "SensorKind",
    "Severity",
    "UnitKind",
    "UnitStatus",
    "UnitStatusValue",
    "decode",
    "encode",
    "payload_text",
]
