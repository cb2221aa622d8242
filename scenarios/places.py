"""Where emergencies happen: near the road network, inside the city, never in the river.

A place is a road node of the city's graph, drawn uniformly, moved a few metres off it.
Road nodes are intersections and points where a road's attributes change, so they are
densest where streets and buildings are (a proxy for where people are); a bridge has
nodes only at its ends, so no node lies mid-river. Nodes outside every district (roads
leaving the city) are never drawn.
"""

from __future__ import annotations

import math
import random

import numpy as np
from numpy.typing import NDArray

from geo import City

__all__ = ["NODE_OFFSET_M", "IncidentPlaces"]

NODE_OFFSET_M = 15.0
"""How far from its road node a drawn place may lie (a building on the street)."""


class IncidentPlaces:
    """Draws incident locations over a city."""

    def __init__(self, city: City, rng: random.Random) -> None:
        self._city = city
        self._rng = rng
        lons, lats = city.roads.node_lonlats()
        if city.districts:
            codes = city.district_codes_at(lons, lats)
            inside = np.array([c is not None for c in codes], bool)
        else:
            inside = np.ones(len(lons), bool)
        self._nodes: NDArray[np.int64] = np.flatnonzero(inside)
        self._lons, self._lats = lons, lats
        if self._nodes.size == 0:
            raise ValueError(f"no road node inside {city.name}'s districts")

    @property
    def node_count(self) -> int:
        """How many road nodes incidents may be drawn near."""
        return int(self._nodes.size)

    def draw(self, rng: random.Random | None = None) -> tuple[float, float]:
        """A (lon, lat) within ``NODE_OFFSET_M`` of a road node inside the city."""
        rng = rng or self._rng
        for _ in range(20):
            node = int(self._nodes[rng.randrange(self._nodes.size)])
            lon, lat = float(self._lons[node]), float(self._lats[node])
            place = offset(lon, lat, NODE_OFFSET_M * math.sqrt(rng.random()), rng.uniform(0, 360))
            if not self._city.districts or self._city.district_at(*place) is not None:
                return place
        return lon, lat  # a node at the very edge: the node itself is inside

    def near(self, lon: float, lat: float, radius_m: float) -> tuple[float, float]:
        """A point within ``radius_m`` of (lon, lat) (another caller at the same scene),
        inside the city when (lon, lat) is."""
        rng = self._rng
        for _ in range(10):
            place = offset(lon, lat, radius_m * math.sqrt(rng.random()), rng.uniform(0, 360))
            if not self._city.districts or self._city.district_at(*place) is not None:
                return place
        return lon, lat


def offset(lon: float, lat: float, distance_m: float, bearing_deg: float) -> tuple[float, float]:
    """The point ``distance_m`` from (lon, lat) towards a compass bearing (small distances).

    >>> offset(127.0, 37.5, 0.0, 90.0)
    (127.0, 37.5)
    """
    a = math.radians(bearing_deg)
    dlat = distance_m * math.cos(a) / 111_320.0
    dlon = distance_m * math.sin(a) / (111_320.0 * math.cos(math.radians(lat)))
    return lon + dlon, lat + dlat
