"""Fleet: status state machine, stale positions, seeding from stations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from dispatch import (
    TRANSITIONS,
    DispatchError,
    Fleet,
    IllegalTransitionError,
    OutOfOrderUpdateError,
    UnitStatus,
    UnitUpdate,
    UnknownUnitError,
    seed_fleet,
)

T0 = datetime(2026, 11, 21, 4, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Seed:
    unit_id: str
    kind: str


@dataclass(frozen=True)
class St:
    id: str
    lon: float
    lat: float
    units: tuple[Seed, ...]


STATIONS = [
    St("ST-JUNGBU", 126.969, 37.564, (Seed("E-1", "engine"), Seed("A-1", "ambulance"))),
    St("ST-YONGSAN", 126.965, 37.535, (Seed("A-2", "ambulance"),)),
]


def fleet() -> Fleet:
    return seed_fleet(STATIONS, T0)


def test_seeding_puts_every_unit_available_at_its_station() -> None:
    f = fleet()
    assert len(f) == 3
    a1 = f.get("A-1")
    assert a1.station_id == "ST-JUNGBU"
    assert a1.status is UnitStatus.AVAILABLE
    assert (a1.lon, a1.lat) == (126.969, 37.564)
    assert {u.unit_id for u in f.available()} == {"E-1", "A-1", "A-2"}


def test_full_run_of_an_ambulance_is_allowed() -> None:
    f = fleet()
    t = T0
    for status in ["dispatched", "en_route", "on_scene", "transporting", "at_hospital"]:
        t += timedelta(minutes=5)
        f.apply(UnitUpdate("A-1", t, UnitStatus(status), lon=127.0, lat=37.55))
    f.apply(UnitUpdate("A-1", t + timedelta(minutes=1), UnitStatus.AVAILABLE))
    assert f.get("A-1").status is UnitStatus.AVAILABLE
    assert f.get("A-1").status_at == t + timedelta(minutes=1)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (old, new)
        for old in UnitStatus
        for new in UnitStatus
        if new != old and new not in TRANSITIONS[old]
    ],
)
def test_state_machine_rejects_every_illegal_transition(old: UnitStatus, new: UnitStatus) -> None:
    f = fleet()
    unit = f.get("E-1")
    from dataclasses import replace

    f.put(replace(unit, status=old))
    with pytest.raises(IllegalTransitionError) as err:
        f.apply(UnitUpdate("E-1", T0 + timedelta(seconds=1), new))
    assert f"{old} -> {new} is not allowed" in err.value.reason
    assert f.get("E-1").status is old  # unchanged


def test_available_straight_to_transporting_is_illegal_with_readable_reason() -> None:
    f = fleet()
    with pytest.raises(DispatchError, match="available -> transporting is not allowed"):
        f.apply(UnitUpdate("A-1", T0 + timedelta(seconds=5), UnitStatus.TRANSPORTING))


def test_unknown_unit_and_out_of_order_update_are_rejected() -> None:
    f = fleet()
    with pytest.raises(UnknownUnitError, match="X-9"):
        f.apply(UnitUpdate("X-9", T0, UnitStatus.AVAILABLE))
    f.apply(UnitUpdate("A-1", T0 + timedelta(minutes=2), UnitStatus.DISPATCHED))
    with pytest.raises(OutOfOrderUpdateError):
        f.apply(UnitUpdate("A-1", T0 + timedelta(minutes=1), UnitStatus.EN_ROUTE))


def test_kind_mismatch_is_rejected() -> None:
    with pytest.raises(IllegalTransitionError, match="kind engine does not match"):
        fleet().apply(UnitUpdate("A-1", T0, UnitStatus.AVAILABLE, kind="engine"))


def test_fresh_fix_is_used_and_stale_fix_falls_back_to_station_flagged() -> None:
    f = fleet()
    f.apply(UnitUpdate("A-1", T0 + timedelta(seconds=10), UnitStatus.EN_ROUTE, 127.01, 37.55))
    unit = f.get("A-1")
    fresh = unit.position(T0 + timedelta(seconds=60), stale_after_s=120)
    assert (fresh.lon, fresh.lat, fresh.stale) == (127.01, 37.55, False)
    stale = unit.position(T0 + timedelta(seconds=200), stale_after_s=120)
    assert (stale.lon, stale.lat, stale.stale) == (126.969, 37.564, True)
    # a status button press without a position does not refresh the fix
    f.apply(UnitUpdate("A-1", T0 + timedelta(seconds=190), UnitStatus.ON_SCENE))
    assert f.get("A-1").position(T0 + timedelta(seconds=200), stale_after_s=120).stale
