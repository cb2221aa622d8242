"""Plain value types of a city: stations and their units, hydrants, cameras, facilities."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "UNIT_KINDS",
    "Camera",
    "District",
    "Facility",
    "FileReport",
    "Hydrant",
    "LoadReport",
    "Station",
    "UnitSeed",
]

UNIT_KINDS = ("engine", "ladder", "ambulance", "rescue", "hazmat", "command")


@dataclass(frozen=True)
class UnitSeed:
    """A response unit housed at a station at start of day (kind is one of UNIT_KINDS)."""

    unit_id: str
    kind: str


@dataclass(frozen=True)
class Station:
    """A fire station (소방서), 119 safety centre or rescue team, with its seeded units."""

    id: str
    name: str
    lon: float
    lat: float
    district: str | None
    units: tuple[UnitSeed, ...]
    kind: str = "safety_center_119"


@dataclass(frozen=True)
class Hydrant:
    """A hydrant or other fire-fighting water source / emergency fire-fighting device."""

    id: str
    lon: float
    lat: float
    kind: str


@dataclass(frozen=True)
class Camera:
    """A CCTV camera; direction_deg is the compass bearing it faces, None when unknown (PTZ)."""

    id: str
    lon: float
    lat: float
    purpose: str
    owner: str
    direction_deg: float | None
    district: str | None


@dataclass(frozen=True)
class Facility:
    """A facility that matters at an incident: emergency_room, shelter, school, care_home."""

    id: str
    name: str
    kind: str
    lon: float
    lat: float
    level: str = ""
    """Its designation where the source gives one (an emergency room's 응급의료기관 level)."""


@dataclass(frozen=True)
class District:
    """An administrative area (level 'gu' or 'dong') with its WGS84 shapely geometry."""

    code: str
    name: str
    level: str
    geometry: Any = field(repr=False, compare=False)


@dataclass(frozen=True)
class FileReport:
    """What one input file gave: rows read, rows used, rows skipped by reason."""

    name: str
    rows_read: int
    rows_used: int
    skipped: tuple[tuple[str, int], ...] = ()

    @property
    def rows_skipped(self) -> int:
        """Total rows skipped for any reason."""
        return sum(count for _, count in self.skipped)


@dataclass(frozen=True)
class LoadReport:
    """How a city was loaded: per-file row counts and what graph cleaning removed."""

    source: str
    files: tuple[FileReport, ...] = ()
    parallel_edges_merged: int = 0
    nodes_dropped_scc: int = 0
    edges_dropped_scc: int = 0
    notes: tuple[str, ...] = ()

    def file(self, name: str) -> FileReport | None:
        """The report of one file by name, if it was read."""
        return next((f for f in self.files if f.name == name), None)
