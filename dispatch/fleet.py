"""Live fleet state: units, their status state machine, positions and stale fixes."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from dispatch.errors import IllegalTransitionError, OutOfOrderUpdateError, UnknownUnitError

__all__ = [
    "DEFAULT_STALE_AFTER_S",
    "TRANSITIONS",
    "Fleet",
    "Position",
    "Unit",
    "UnitStatus",
    "UnitUpdate",
    "check_transition",
    "seed_fleet",
]

DEFAULT_STALE_AFTER_S = 120.0


class UnitStatus(StrEnum):
    """A unit's status, as pressed by its crew or set by dispatch."""

    AVAILABLE = "available"
    DISPATCHED = "dispatched"
    EN_ROUTE = "en_route"
    ON_SCENE = "on_scene"
    TRANSPORTING = "transporting"
    AT_HOSPITAL = "at_hospital"
    OUT_OF_SERVICE = "out_of_service"


S = UnitStatus
# Which status may follow which. Staying in a status (a plain AVL fix) is always allowed.
TRANSITIONS: dict[UnitStatus, frozenset[UnitStatus]] = {
    S.AVAILABLE: frozenset({S.DISPATCHED, S.EN_ROUTE, S.OUT_OF_SERVICE}),
    S.DISPATCHED: frozenset({S.EN_ROUTE, S.AVAILABLE, S.OUT_OF_SERVICE}),
    S.EN_ROUTE: frozenset({S.ON_SCENE, S.DISPATCHED, S.AVAILABLE}),
    S.ON_SCENE: frozenset({S.TRANSPORTING, S.AVAILABLE, S.DISPATCHED}),
    S.TRANSPORTING: frozenset({S.AT_HOSPITAL, S.ON_SCENE}),
    S.AT_HOSPITAL: frozenset({S.AVAILABLE, S.OUT_OF_SERVICE}),
    S.OUT_OF_SERVICE: frozenset({S.AVAILABLE}),
}


def check_transition(unit_id: str, old: UnitStatus, new: UnitStatus) -> None:
    """Raise IllegalTransitionError when a unit may not go from one status to another."""
    if old == new or new in TRANSITIONS[old]:
        return
    allowed = ", ".join(sorted(TRANSITIONS[old]))
    raise IllegalTransitionError(
        f"unit {unit_id}: {old} -> {new} is not allowed (from {old} only: {allowed})"
    )


@dataclass(frozen=True)
class Position:
    """Where a unit is taken to be: its last fix, or its station when the fix is stale."""

    lon: float
    lat: float
    stale: bool


@dataclass(frozen=True)
class Unit:
    """One response unit: identity, home station, status with time, last position fix."""

    unit_id: str
    kind: str
    station_id: str
    station_lon: float
    station_lat: float
    status: UnitStatus
    status_at: datetime
    lon: float | None = None
    lat: float | None = None
    last_fix_at: datetime | None = None

    def position(self, now: datetime, stale_after_s: float = DEFAULT_STALE_AFTER_S) -> Position:
        """The last fix, or the station position flagged stale when no recent fix exists."""
        if self.lon is None or self.lat is None or self.last_fix_at is None:
            return Position(self.station_lon, self.station_lat, stale=True)
        if (now - self.last_fix_at).total_seconds() > stale_after_s:
            return Position(self.station_lon, self.station_lat, stale=True)
        return Position(self.lon, self.lat, stale=False)


@dataclass(frozen=True)
class UnitUpdate:
    """A unit-status event: new status and optional position fix at a time."""

    unit_id: str
    at: datetime
    status: UnitStatus
    lon: float | None = None
    lat: float | None = None
    kind: str | None = None
    station_id: str | None = None


class _UnitSeedLike(Protocol):
    @property
    def unit_id(self) -> str: ...
    @property
    def kind(self) -> str: ...


class _StationLike(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def lon(self) -> float: ...
    @property
    def lat(self) -> float: ...
    @property
    def units(self) -> Sequence[_UnitSeedLike]: ...


class Fleet:
    """Every known unit by id; applies status updates through the state machine."""

    def __init__(self, units: Iterable[Unit] = ()) -> None:
        self._units: dict[str, Unit] = {u.unit_id: u for u in units}
        self._version = 0
        self._available: list[Unit] | None = None

    @property
    def version(self) -> int:
        """A counter bumped by every change, so derived views can be cached safely."""
        return self._version

    def _changed(self) -> None:
        self._version += 1
        self._available = None

    def __len__(self) -> int:
        return len(self._units)

    def __iter__(self) -> Iterator[Unit]:
        return iter(self._units.values())

    def __contains__(self, unit_id: object) -> bool:
        return unit_id in self._units

    def get(self, unit_id: str) -> Unit:
        """The unit with an id; UnknownUnitError when absent."""
        try:
            return self._units[unit_id]
        except KeyError:
            raise UnknownUnitError(f"unit {unit_id} is not in the fleet") from None

    def put(self, unit: Unit) -> None:
        """Store a unit as is (used when loading state back from the store)."""
        self._units[unit.unit_id] = unit
        self._changed()

    def apply(self, update: UnitUpdate) -> Unit:
        """Apply a status/position update; raises a DispatchError with a readable reason."""
        unit = self._units.get(update.unit_id)
        if unit is None:
            raise UnknownUnitError(
                f"unit {update.unit_id} is not in the fleet (seed it from its station first)"
            )
        if update.at < unit.status_at:
            raise OutOfOrderUpdateError(
                f"unit {unit.unit_id}: update at {update.at.isoformat()} is older than "
                f"its status at {unit.status_at.isoformat()}"
            )
        if update.kind is not None and update.kind != unit.kind:
            raise IllegalTransitionError(
                f"unit {unit.unit_id}: kind {update.kind} does not match known kind {unit.kind}"
            )
        check_transition(unit.unit_id, unit.status, update.status)
        new = replace(unit, status=update.status, status_at=update.at)
        if update.lon is not None and update.lat is not None:
            new = replace(new, lon=update.lon, lat=update.lat, last_fix_at=update.at)
        self._units[unit.unit_id] = new
        self._changed()
        return new

    def available(self) -> list[Unit]:
        """Units that can be dispatched now, in fleet order (a fresh list each call)."""
        if self._available is None:
            self._available = [u for u in self._units.values() if u.status == UnitStatus.AVAILABLE]
        return list(self._available)


def seed_fleet(stations: Iterable[_StationLike], at: datetime) -> Fleet:
    """A fleet with every station's units available, fixed at their station at `at`."""
    units = [
        Unit(
            unit_id=seed.unit_id,
            kind=seed.kind,
            station_id=st.id,
            station_lon=st.lon,
            station_lat=st.lat,
            status=UnitStatus.AVAILABLE,
            status_at=at,
            lon=st.lon,
            lat=st.lat,
            last_fix_at=at,
        )
        for st in stations
        for seed in st.units
    ]
    return Fleet(units)
