"""Units seeded at each station at start of day (the Seoul station file lists no vehicles).

Assumed fleet per station type, plausible for Seoul but not an official inventory:
- 119안전센터 (safety_center_119): 1 engine (펌프차) + 1 ambulance (구급차).
- 소방서 (fire_station_hq): engine, ladder (고가/굴절사다리차), ambulance, command
  (지휘차) and hazmat (화학차); the HQ's rescue team is its own station row.
- 구조대 / 특수구조대 / 수난·산악구조대 (rescue_team): 1 rescue unit; the
  119특수구조대 also a hazmat unit.
- 본부현장대응단 (other, field command): command + hazmat; 소방항공대: rescue (air).
Unit ids are '<letter>-<station id>-<n>' (E engine, L ladder, A ambulance, R rescue,
H hazmat, C command), so they are stable across runs.
"""

from __future__ import annotations

from geo.model import UnitSeed

__all__ = ["UNIT_PREFIX", "seed_units", "unit_kinds_for"]

UNIT_PREFIX = {
    "engine": "E",
    "ladder": "L",
    "ambulance": "A",
    "rescue": "R",
    "hazmat": "H",
    "command": "C",
}


def unit_kinds_for(station_kind: str, name: str = "") -> tuple[str, ...]:
    """The unit kinds housed at a station of this kind (see the module docstring)."""
    if station_kind == "fire_station_hq":
        return ("engine", "ladder", "ambulance", "command", "hazmat")
    if station_kind == "rescue_team":
        return ("rescue", "hazmat") if "특수" in name else ("rescue",)
    if station_kind == "other":
        return ("command", "hazmat") if "대응단" in name else ("rescue",)
    return ("engine", "ambulance")


def seed_units(station_id: str, station_kind: str, name: str = "") -> tuple[UnitSeed, ...]:
    """The seeded units of one station, numbered per kind.

    >>> [u.unit_id for u in seed_units("1114103", "safety_center_119")]
    ['E-1114103-1', 'A-1114103-1']
    """
    counts: dict[str, int] = {}
    units = []
    for kind in unit_kinds_for(station_kind, name):
        counts[kind] = counts.get(kind, 0) + 1
        units.append(UnitSeed(f"{UNIT_PREFIX[kind]}-{station_id}-{counts[kind]}", kind))
    return tuple(units)
