"""Emergency-vehicle speed model: travel speed per road link from legal limit and road class.

Assumptions (documented defaults, all overridable):
- Where a legal limit is known, an emergency vehicle on call sustains ``emergency_factor``
  of it on average over the link (sirens gain on traffic, junctions and congestion lose).
- Where it is missing or 0, the class default applies. Korean defaults follow 안전속도 5030
  (도로교통법 시행규칙 제19조, in force 2021-04-17: 50 km/h on urban arterials, 30 km/h in
  residential streets) and the legal limits of 도시고속도로 (80 km/h) and 고속국도 (100 km/h).
- The result is clamped to [min_kph, max_kph].
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

__all__ = ["NODELINK_RANK_KPH", "OSM_HIGHWAY_KPH", "SpeedModel"]

# ITS 표준노드링크 road_rank -> default legal speed (km/h) when max_speed_kph is 0/missing.
NODELINK_RANK_KPH: Mapping[int, float] = MappingProxyType(
    {101: 100.0, 102: 80.0, 103: 50.0, 104: 50.0, 105: 50.0, 106: 50.0, 107: 30.0, 108: 30.0}
)

# OpenStreetMap highway class -> default legal speed (km/h), Korean urban defaults.
OSM_HIGHWAY_KPH: Mapping[str, float] = MappingProxyType(
    {
        "motorway": 100.0,
        "motorway_link": 60.0,
        "trunk": 80.0,
        "trunk_link": 50.0,
        "primary": 50.0,
        "primary_link": 40.0,
        "secondary": 50.0,
        "secondary_link": 40.0,
        "tertiary": 40.0,
        "tertiary_link": 30.0,
        "unclassified": 30.0,
        "residential": 30.0,
        "living_street": 20.0,
        "service": 20.0,
        "road": 30.0,
    }
)


@dataclass(frozen=True)
class SpeedModel:
    """Turns a link's legal limit and class into the speed an emergency vehicle drives."""

    emergency_factor: float = 0.8
    min_kph: float = 15.0
    max_kph: float = 90.0
    fallback_kph: float = 30.0
    rank_kph: Mapping[int, float] = field(default_factory=lambda: NODELINK_RANK_KPH)
    highway_kph: Mapping[str, float] = field(default_factory=lambda: OSM_HIGHWAY_KPH)

    def __hash__(self) -> int:
        return hash(
            (
                self.emergency_factor,
                self.min_kph,
                self.max_kph,
                self.fallback_kph,
                tuple(sorted(self.rank_kph.items())),
                tuple(sorted(self.highway_kph.items())),
            )
        )

    def legal_kph_for_rank(self, max_speed_kph: float | None, road_rank: int | None) -> float:
        """Legal limit of a node-link link: its own limit, else its road-rank default."""
        if max_speed_kph is not None and max_speed_kph > 0:
            return float(max_speed_kph)
        if road_rank is not None and road_rank in self.rank_kph:
            return float(self.rank_kph[road_rank])
        return self.fallback_kph

    def legal_kph_for_highway(self, maxspeed: float | None, highway: str | None) -> float:
        """Legal limit of an OSM way: its maxspeed, else the highway-class default."""
        if maxspeed is not None and maxspeed > 0:
            return float(maxspeed)
        if highway is not None and highway in self.highway_kph:
            return float(self.highway_kph[highway])
        return self.fallback_kph

    def emergency_kph(self, legal_kph: float) -> float:
        """Average speed of an emergency vehicle on a link with this legal limit."""
        return min(self.max_kph, max(self.min_kph, legal_kph * self.emergency_factor))

    def travel_time_s(self, length_m: float, legal_kph: float) -> float:
        """Seconds an emergency vehicle needs for length_m at this legal limit."""
        return length_m / (self.emergency_kph(legal_kph) / 3.6)
