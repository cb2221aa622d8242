"""Fleet state in Redis: a hash per unit and GEO sets of positions for candidate search.

Keys under a namespace passed in (e.g. ``gt:<prefix>:fleet``):
``<ns>:unit:<unit_id>`` hash of the unit's state, ``<ns>:units`` set of unit ids,
``<ns>:geo:all`` and ``<ns>:geo:available`` GEO sets of last known positions.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from redis.asyncio import Redis

from dispatch import Fleet, Unit, UnitStatus, UnitUpdate

__all__ = ["FleetStore", "NearbyUnit", "unit_from_hash", "unit_to_hash"]


@dataclass(frozen=True)
class NearbyUnit:
    """A unit found by a GEO search, with its straight-line distance."""

    unit_id: str
    distance_m: float


def unit_to_hash(unit: Unit) -> dict[str, str]:
    """A unit as the string fields of its Redis hash."""
    return {
        "unit_id": unit.unit_id,
        "kind": unit.kind,
        "station_id": unit.station_id,
        "station_lon": repr(unit.station_lon),
        "station_lat": repr(unit.station_lat),
        "status": unit.status.value,
        "status_at": unit.status_at.isoformat(),
        "lon": "" if unit.lon is None else repr(unit.lon),
        "lat": "" if unit.lat is None else repr(unit.lat),
        "last_fix_at": "" if unit.last_fix_at is None else unit.last_fix_at.isoformat(),
    }


def _text(raw: dict[Any, Any], key: str) -> str:
    value = raw.get(key.encode(), raw.get(key, b""))
    return value.decode() if isinstance(value, bytes) else str(value)


def unit_from_hash(raw: dict[Any, Any]) -> Unit:
    """A unit back from its Redis hash (bytes or str keys and values)."""
    lon, lat, fix = _text(raw, "lon"), _text(raw, "lat"), _text(raw, "last_fix_at")
    return Unit(
        unit_id=_text(raw, "unit_id"),
        kind=_text(raw, "kind"),
        station_id=_text(raw, "station_id"),
        station_lon=float(_text(raw, "station_lon")),
        station_lat=float(_text(raw, "station_lat")),
        status=UnitStatus(_text(raw, "status")),
        status_at=datetime.fromisoformat(_text(raw, "status_at")),
        lon=float(lon) if lon else None,
        lat=float(lat) if lat else None,
        last_fix_at=datetime.fromisoformat(fix) if fix else None,
    )


class FleetStore:
    """Reads and writes fleet state in Redis under one key namespace."""

    def __init__(self, redis: Redis, namespace: str) -> None:
        self._r = redis
        self.namespace = namespace

    def _unit_key(self, unit_id: str) -> str:
        return f"{self.namespace}:unit:{unit_id}"

    @property
    def _ids_key(self) -> str:
        return f"{self.namespace}:units"

    def _geo_key(self, available_only: bool) -> str:
        return f"{self.namespace}:geo:{'available' if available_only else 'all'}"

    async def save(self, unit: Unit) -> None:
        """Store a unit's state and index its position (station position without a fix)."""
        lon = unit.station_lon if unit.lon is None else unit.lon
        lat = unit.station_lat if unit.lat is None else unit.lat
        async with self._r.pipeline(transaction=True) as pipe:
            pipe.hset(self._unit_key(unit.unit_id), mapping=unit_to_hash(unit))  # type: ignore[arg-type]
            pipe.sadd(self._ids_key, unit.unit_id)
            pipe.geoadd(self._geo_key(False), (lon, lat, unit.unit_id))
            if unit.status == UnitStatus.AVAILABLE:
                pipe.geoadd(self._geo_key(True), (lon, lat, unit.unit_id))
            else:
                pipe.zrem(self._geo_key(True), unit.unit_id)
            await pipe.execute()

    async def seed(self, units: Iterable[Unit], *, overwrite: bool = False) -> int:
        """Store units not yet known (all of them with overwrite); returns how many were written."""
        written = 0
        for unit in units:
            if overwrite or not await self._r.exists(self._unit_key(unit.unit_id)):
                await self.save(unit)
                written += 1
        return written

    async def get(self, unit_id: str) -> Unit | None:
        """A unit's stored state, None when unknown."""
        raw = await self._r.hgetall(self._unit_key(unit_id))
        return unit_from_hash(raw) if raw else None

    async def fleet(self) -> Fleet:
        """Every stored unit as a Fleet."""
        ids = sorted(
            i.decode() if isinstance(i, bytes) else str(i)
            for i in await self._r.smembers(self._ids_key)
        )
        async with self._r.pipeline(transaction=False) as pipe:
            for uid in ids:
                pipe.hgetall(self._unit_key(uid))
            rows = await pipe.execute()
        return Fleet(unit_from_hash(raw) for raw in rows if raw)

    async def apply(self, update: UnitUpdate) -> Unit:
        """Apply a unit-status event through the state machine and store the result.

        Raises the dispatch errors of `Fleet.apply` (unknown unit, illegal transition,
        out-of-order update) for the caller to dead-letter; nothing is written then.
        """
        current = await self.get(update.unit_id)
        fleet = Fleet([] if current is None else [current])
        unit = fleet.apply(update)
        await self.save(unit)
        return unit

    async def nearby(
        self,
        lon: float,
        lat: float,
        radius_m: float,
        *,
        available_only: bool = True,
        count: int | None = None,
    ) -> list[NearbyUnit]:
        """Units within a straight-line radius of a point, nearest first (GEOSEARCH)."""
        hits = await self._r.geosearch(
            self._geo_key(available_only),
            longitude=lon,
            latitude=lat,
            radius=radius_m,
            unit="m",
            sort="ASC",
            count=count,
            withdist=True,
        )
        out: list[NearbyUnit] = []
        rows: list[tuple[bytes | str, float]] = list(hits)  # type: ignore[arg-type]
        for member, dist in rows:
            uid = member.decode() if isinstance(member, bytes) else str(member)
            out.append(NearbyUnit(uid, float(dist)))
        return out
