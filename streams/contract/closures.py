"""Road closures: the state of each bridge, tunnel, underpass and overpass (topic
``road-closures``, compacted, keyed by structure id; the value is its latest state).

A structure is ``open``; its readings against the thresholds of its kind raise ``watch``
and then ``closure_recommended``; a person confirms the closure (or closes it by hand) and
reopens it. Only ``closed`` takes the structure's links out of routing. ``command_id`` and
``by`` name the person's command behind a state (the audit trail); they are null for a
change the readings made.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from streams.contract.common import ContractModel, EventId, Position, ShortText, Timestamp

__all__ = ["ClosureReading", "ClosureState", "RoadClosure", "StructureKind"]


class StructureKind(StrEnum):
    """What a structure is (``geo.structures``)."""

    BRIDGE = "bridge"
    TUNNEL = "tunnel"
    UNDERPASS = "underpass"
    OVERPASS = "overpass"


class ClosureState(StrEnum):
    """Where a structure is in its closure lifecycle."""

    OPEN = "open"
    WATCH = "watch"
    CLOSURE_RECOMMENDED = "closure_recommended"
    CLOSED = "closed"


class ClosureReading(ContractModel):
    """The latest reading of one sensor of a structure, with the thresholds it is judged on."""

    sensor_id: EventId
    kind: str = Field(max_length=40)
    value: float
    unit: str = Field(max_length=20)
    watch_at: float | None = None
    close_at: float | None = None
    measured_at: Timestamp
    event_id: EventId | None = None
    """The sensor alarm this reading came from (a replay of it changes nothing)."""


class RoadClosure(ContractModel):
    """A structure's closure state, each change published with a higher ``version``."""

    structure_id: EventId
    name: str = Field(max_length=120)
    kind: StructureKind
    state: ClosureState
    previous_state: ClosureState | None = None
    version: int = Field(ge=1)
    updated_at: Timestamp
    link_ids: list[str] = Field(max_length=2000)
    gu: str = Field(max_length=20)
    location: Position
    reason: ShortText | None = None
    readings: list[ClosureReading] = Field(default_factory=list, max_length=20)
    command_id: EventId | None = None
    by: str | None = Field(default=None, max_length=80)
