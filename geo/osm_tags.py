"""Pure rules over OpenStreetMap tags: drivable ways, travel directions, maxspeed, POI kinds."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

__all__ = [
    "DRIVABLE_HIGHWAYS",
    "drivable",
    "maxspeed_kph",
    "poi_kind",
    "travel_directions",
]

DRIVABLE_HIGHWAYS = frozenset(
    {
        "motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link",
        "secondary", "secondary_link", "tertiary", "tertiary_link", "unclassified",
        "residential", "living_street", "service", "road",
    }
)  # fmt: skip
_NO_ACCESS = frozenset({"no", "private"})
_SPEED = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(km/h|kmh|kph|mph|knots)?\s*$")


def drivable(tags: Mapping[str, str]) -> bool:
    """Whether an emergency vehicle can drive a way with these tags.

    >>> drivable({"highway": "residential"}), drivable({"highway": "footway"})
    (True, False)
    """
    if tags.get("highway") not in DRIVABLE_HIGHWAYS or tags.get("area") == "yes":
        return False
    if tags.get("service") in ("parking_aisle", "drive-through"):
        return False
    return not (tags.get("access") in _NO_ACCESS or tags.get("motor_vehicle") in _NO_ACCESS)


def travel_directions(tags: Mapping[str, str]) -> tuple[bool, bool]:
    """(forward, backward): in which directions along its nodes a way may be driven.

    >>> travel_directions({"oneway": "yes"}), travel_directions({"oneway": "-1"})
    ((True, False), (False, True))
    >>> travel_directions({"highway": "motorway"}), travel_directions({"junction": "roundabout"})
    ((True, False), (True, False))
    """
    oneway = (tags.get("oneway") or "").strip().lower()
    if oneway in ("yes", "true", "1"):
        return True, False
    if oneway in ("-1", "reverse"):
        return False, True
    if oneway in ("no", "false", "0", "alternating", "reversible"):
        return True, True
    implied = tags.get("junction") in ("roundabout", "circular") or tags.get("highway") in (
        "motorway",
        "motorway_link",
    )
    return (True, not implied)


def maxspeed_kph(value: str | None) -> float | None:
    """A maxspeed tag in km/h; None when absent or not a number (e.g. 'KR:urban', 'signals').

    >>> maxspeed_kph("50"), maxspeed_kph("30 mph"), maxspeed_kph("KR:urban")
    (50.0, 48.28032, None)
    """
    if not value:
        return None
    first = value.split(";")[0]
    m = _SPEED.match(first)
    if not m:
        return None
    speed = float(m.group(1))
    unit = m.group(2)
    if unit == "mph":
        speed *= 1.609344
    elif unit == "knots":
        speed *= 1.852
    return speed if math.isfinite(speed) and 0 < speed < 300 else None


def poi_kind(tags: Mapping[str, str]) -> str | None:
    """The GoldenTime layer of an OSM feature: fire_station, hydrant, camera, or a facility kind.

    >>> poi_kind({"emergency": "fire_hydrant"})
    'hydrant'
    >>> poi_kind({"amenity": "hospital", "emergency": "yes"})
    'emergency_room'
    """
    amenity = tags.get("amenity")
    if amenity == "fire_station":
        return "fire_station"
    if tags.get("emergency") in ("fire_hydrant", "suction_point", "water_tank"):
        return "hydrant"
    if tags.get("man_made") == "surveillance" or tags.get("surveillance:type") == "camera":
        return "camera"
    if amenity == "hospital" and tags.get("emergency") == "yes":
        return "emergency_room"
    if amenity in ("school", "kindergarten"):
        return "school"
    if amenity == "nursing_home" or tags.get("social_facility") in (
        "nursing_home",
        "assisted_living",
    ):
        return "care_home"
    # amenity=shelter is mostly bus stops and rain shelters: only assembly points count
    if tags.get("emergency") == "assembly_point":
        return "shelter"
    return None
