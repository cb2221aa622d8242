"""FleetStore against the session's real embedded Valkey: GEO search, state, state machine."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from redis.asyncio import Redis

from dispatch import IllegalTransitionError, Unit, UnitStatus, UnitUpdate, UnknownUnitError
from streams.fleet_store import FleetStore, unit_from_hash, unit_to_hash

pytestmark = pytest.mark.integration
T0 = datetime(2026, 11, 21, 4, 0, tzinfo=UTC)


def unit(uid: str, lon: float, lat: float, kind: str = "ambulance") -> Unit:
    return Unit(uid, kind, f"ST-{uid}", lon, lat, UnitStatus.AVAILABLE, T0, lon, lat, T0)


coords = st.floats(-180, 180, allow_nan=False)
times = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


@given(
    st.text(min_size=1, max_size=12),
    st.sampled_from(["engine", "ambulance"]),
    coords,
    coords,
    st.sampled_from(list(UnitStatus)),
    times,
    st.none() | st.tuples(coords, coords, times),
)
def test_hash_round_trip(
    uid: str,
    kind: str,
    slon: float,
    slat: float,
    status: UnitStatus,
    at: datetime,
    fix: tuple[float, float, datetime] | None,
) -> None:
    lon, lat, fix_at = fix if fix else (None, None, None)
    u = Unit(uid, kind, "ST-1", slon, slat, status, at, lon, lat, fix_at)
    as_bytes = {k.encode(): v.encode() for k, v in unit_to_hash(u).items()}
    assert unit_from_hash(as_bytes) == u
    assert unit_from_hash(unit_to_hash(u)) == u


@pytest.fixture
async def store(cache: Any) -> AsyncIterator[FleetStore]:
    """A store on the session's embedded Valkey, in a namespace of its own."""
    client = Redis.from_url(cache.url)
    try:
        yield FleetStore(client, f"gt:test-{uuid.uuid4().hex[:8]}:fleet")
    finally:
        await client.aclose()


async def test_round_trip_and_seed_does_not_overwrite(store: FleetStore) -> None:
    a = unit("A-1", 126.978, 37.5665)
    assert await store.seed([a, unit("A-2", 126.99, 37.57)]) == 2
    assert await store.get("A-1") == a
    moved = await store.apply(UnitUpdate("A-1", T0 + timedelta(minutes=1), UnitStatus.DISPATCHED))
    assert await store.seed([a]) == 0
    assert (await store.get("A-1")) == moved
    fleet = await store.fleet()
    assert sorted(u.unit_id for u in fleet) == ["A-1", "A-2"]
    assert await store.get("nope") is None


async def test_geosearch_finds_available_units_nearest_first(store: FleetStore) -> None:
    await store.seed(
        [
            unit("A-near", 126.978, 37.567),
            unit("A-far", 126.978, 37.585),
            unit("A-out", 127.2, 37.7),
        ]
    )
    hits = await store.nearby(126.978, 37.5665, 5000)
    assert [h.unit_id for h in hits] == ["A-near", "A-far"]
    assert hits[0].distance_m == pytest.approx(55.6, abs=2)
    await store.apply(UnitUpdate("A-near", T0 + timedelta(seconds=5), UnitStatus.DISPATCHED))
    assert [h.unit_id for h in await store.nearby(126.978, 37.5665, 5000)] == ["A-far"]
    every = await store.nearby(126.978, 37.5665, 5000, available_only=False)
    assert [h.unit_id for h in every] == ["A-near", "A-far"]


async def test_position_fix_moves_the_unit_in_the_index(store: FleetStore) -> None:
    await store.seed([unit("A-1", 126.978, 37.5665)])
    at = T0 + timedelta(seconds=30)
    await store.apply(UnitUpdate("A-1", at, UnitStatus.AVAILABLE, lon=127.05, lat=37.5))
    assert [h.unit_id for h in await store.nearby(127.05, 37.5, 100)] == ["A-1"]
    stored = await store.get("A-1")
    assert stored is not None
    assert stored.last_fix_at == at


async def test_illegal_transition_and_unknown_unit_are_raised_and_not_written(
    store: FleetStore,
) -> None:
    await store.seed([unit("A-1", 126.978, 37.5665)])
    with pytest.raises(IllegalTransitionError, match="available -> at_hospital"):
        await store.apply(UnitUpdate("A-1", T0 + timedelta(seconds=1), UnitStatus.AT_HOSPITAL))
    stored = await store.get("A-1")
    assert stored is not None
    assert stored.status is UnitStatus.AVAILABLE
    with pytest.raises(UnknownUnitError):
        await store.apply(UnitUpdate("X-1", T0, UnitStatus.AVAILABLE))
