"""Fusion zones: where evidence is fused, in order, and why splitting a city into zones
still gives one incident per emergency.

Fusion is a sequence: whether a report opens an incident or joins one depends on what came
before it. One sequence per city is the simplest correct design, and on one machine the
fastest (a second sequence on the same cores only adds hand-offs). A city, a region or a
country that outgrows one machine splits its service area into K zones (``GT_ZONES``: ``1``,
``8`` or ``4x2``, a grid of columns × rows over the city's bounding box). Each zone is its
own key on the zone topic, so zones spread over partitions and over the workers of the
consumer group, and each incident has exactly one owner zone: the one where its first
evidence lay, named in its id (``INC-Z3-…``), so dispatcher commands and dispatch feedback
find their zone without a lookup.

**Why a partition alone is wrong.** Any border has two sides. Two calls about one fire,
40 m apart across a border, would open two incidents, each sending units, each drafting an
alert. Routing a point to "the nearest zone" or to "every zone within reach" does not help:
the first moves the border; the second lets two zones count the same report, each in its own
incident (and in either case the order in which two zones see two reports is not defined,
so any rule that looks at evidence one piece at a time can miss the pair).

**Why a partition with a merge step is right.** Evidence goes to one zone only, so it is
counted once. Every zone announces each incident that lies within the widest join radius
of its type of another zone's cell (``ZoneMap.near_border``) to one merge stage
(``streams.merging``): a low-volume sequence (only border incidents, a small share of all
evidence) that sees every border incident of every zone, whatever the order. Two incidents
of different zones that are one emergency (``streams.fusion.same_emergency``: the rule
that joins evidence to an incident, applied to the later incident's first evidence) are
merged: the younger into the older, through its zone (``streams.zone.Zone.merge_away``).
The survivor's zone takes in the younger's evidence, reporters and patients (pooled by
report, ``streams.patients``: a report held by both for a moment counts once); only then is
the younger closed as merged, so nothing is ever held by no incident, and evidence counted
by both for that moment ends on the survivor alone. Units follow the survivor in the
dispatch stage (it moves a merged incident's units); in the follow-up stage the merged
incident's alert draft ends with it, and the survivor, holding all the evidence, is judged
for an alert afresh. The result does not depend on which zone saw what first: the merge
stage compares incidents, not arrivals, so a border through an emergency yields the
incident a single zone would (property-tested in ``tests/streams/test_zones.py``).

With ``GT_ZONES=1`` (the default) the whole city is the one zone ``city``, ids carry no
zone, and no incident is ever announced.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass
from typing import Any

from streams.fusion import JOIN_RADIUS_M

CITY_ZONE = "city"

_M_PER_DEG_LAT = 111_320.0
_ZONE_ID = re.compile(r"^INC-(Z\d+)-")
_SPEC = re.compile(r"^\s*(\d+)\s*(?:[xX×]\s*(\d+))?\s*$")


class ZoneSpecError(ValueError):
    """A zone layout GoldenTime cannot use."""


def owner_of(incident_id: str) -> str:
    """The zone that owns an incident, read from its id (untagged ids: the city zone)."""
    m = _ZONE_ID.match(incident_id)
    return m.group(1) if m else CITY_ZONE


def tag(incident_id: str, zone: str) -> str:
    """``incident_id`` as an id of ``zone`` (``INC-ABC…`` → ``INC-Z3-ABC…``)."""
    if zone == CITY_ZONE or owner_of(incident_id) == zone:
        return incident_id
    return f"INC-{zone}-{incident_id.removeprefix('INC-')}"


def zone_key(lon: float, lat: float) -> str:
    """The zone of a point when the city is one zone."""
    return CITY_ZONE


@dataclass(frozen=True, slots=True)
class ZoneMap:
    """The service area cut into ``cols`` × ``rows`` cells over a bounding box (a point
    outside it belongs to the nearest edge cell)."""

    bbox: tuple[float, float, float, float]
    cols: int = 1
    rows: int = 1

    @classmethod
    def parse(cls, spec: str, bbox: tuple[float, float, float, float]) -> ZoneMap:
        """``"1"``: one zone; ``"8"``: 8 zones in the squarest grid; ``"4x2"``: 4 columns
        by 2 rows."""
        m = _SPEC.match(spec)
        if not m:
            raise ZoneSpecError(f"zones {spec!r}: expected K or COLSxROWS, e.g. 8 or 4x2")
        if m.group(2):
            cols, rows = int(m.group(1)), int(m.group(2))
        else:
            k = int(m.group(1))
            rows = max(r for r in range(1, math.isqrt(max(k, 1)) + 1) if k % r == 0) if k else 0
            cols = k // rows if rows else 0
        if cols < 1 or rows < 1 or cols * rows > 1024:
            raise ZoneSpecError(f"zones {spec!r}: between 1 and 1024 zones")
        return cls(bbox, cols, rows)

    @property
    def count(self) -> int:
        """How many zones."""
        return self.cols * self.rows

    @property
    def names(self) -> list[str]:
        """Every zone's name (the key of its records on the zone topic)."""
        if self.count == 1:
            return [CITY_ZONE]
        return [f"Z{n}" for n in range(self.count)]

    def _cell(self, lon: float, lat: float) -> tuple[int, int]:
        w, s, e, n = self.bbox
        col = int((lon - w) / (e - w) * self.cols) if e > w else 0
        row = int((lat - s) / (n - s) * self.rows) if n > s else 0
        return min(max(col, 0), self.cols - 1), min(max(row, 0), self.rows - 1)

    def home(self, lon: float, lat: float) -> str:
        """The zone a point lies in."""
        if self.count == 1:
            return CITY_ZONE
        col, row = self._cell(lon, lat)
        return f"Z{row * self.cols + col}"

    def border_distance_m(self, lon: float, lat: float) -> float:
        """How far a point lies from the nearest other zone's cell (infinite: one zone)."""
        if self.count == 1:
            return math.inf
        w, s, e, n = self.bbox
        col, row = self._cell(lon, lat)
        dx = (e - w) / self.cols * _M_PER_DEG_LAT * math.cos(math.radians((s + n) / 2))
        dy = (n - s) / self.rows * _M_PER_DEG_LAT
        x = (lon - w) / (e - w) * self.cols if e > w else 0.0
        y = (lat - s) / (n - s) * self.rows if n > s else 0.0
        sides = []
        if col > 0:
            sides.append((x - col) * dx)
        if col < self.cols - 1:
            sides.append((col + 1 - x) * dx)
        if row > 0:
            sides.append((y - row) * dy)
        if row < self.rows - 1:
            sides.append((row + 1 - y) * dy)
        return max(0.0, min(sides)) if sides else math.inf

    def near_border(self, lon: float, lat: float, reach_m: float) -> bool:
        """Whether something at a point could be one emergency with something in another
        zone within ``reach_m``."""
        return self.border_distance_m(lon, lat) <= reach_m


WIDEST_REACH_M = max(JOIN_RADIUS_M.values())
"""No two incidents farther apart than this are ever one emergency."""


class OwnedStore(MutableMapping[str, Any]):
    """The incidents of one zone in a store (a table) shared by the zones of a worker:
    those whose id names the zone."""

    def __init__(self, store: MutableMapping[str, Any], zone: str) -> None:
        self._store = store
        self._zone = zone

    def __getitem__(self, key: str) -> Any:
        if owner_of(key) != self._zone:
            raise KeyError(key)
        return self._store[key]

    def __setitem__(self, key: str, value: Any) -> None:
        if owner_of(key) != self._zone:
            raise KeyError(f"{key} is not an incident of zone {self._zone}")
        self._store[key] = value

    def __delitem__(self, key: str) -> None:
        self[key]
        del self._store[key]

    def __iter__(self) -> Iterator[str]:
        return (k for k in list(self._store) if owner_of(k) == self._zone)

    def __len__(self) -> int:
        return sum(1 for _ in self)
