"""Hazard zones: an isolation circle per incident type plus a downwind sector when wind is known.

The distances and their sources live in ``hazards.toml`` next to this module.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray

from geo.errors import CityDataError, check_lonlat
from geo.projection import metric_crs_for, projection_for

__all__ = [
    "HazardFootprint",
    "HazardRule",
    "HazardTable",
    "circle_m",
    "hazard_footprint",
    "hazard_rules",
    "hazard_zone",
    "hazard_zone_metric",
]

SECTOR_STEPS = 24
FOOTPRINT_CACHE = 512  # recent incidents: the overlay and the alert of one share its zone


@dataclass(frozen=True)
class HazardRule:
    """The hazard distances of one incident type and where they come from."""

    incident_type: str
    radius_m: float
    downwind_m: float
    half_angle_deg: float
    source: str


@dataclass(frozen=True)
class HazardTable:
    """All rules plus how calm wind widens the downwind sector."""

    rules: dict[str, HazardRule]
    calm_wind_mps: float
    calm_half_angle_deg: float

    def rule(self, incident_type: str) -> HazardRule:
        """The rule of an incident type; 'other' for unknown types."""
        return self.rules.get(incident_type, self.rules["other"])


def parse_hazard_table(text: str) -> HazardTable:
    """A HazardTable from the TOML text of hazards.toml (validated)."""
    data = tomllib.loads(text)
    rules = {}
    for name, row in data.get("types", {}).items():
        rule = HazardRule(
            name,
            float(row["radius_m"]),
            float(row.get("downwind_m", 0)),
            float(row.get("half_angle_deg", 0)),
            str(row["source"]),
        )
        if rule.radius_m <= 0 or rule.downwind_m < 0 or not 0 <= rule.half_angle_deg <= 180:
            raise CityDataError(f"bad hazard rule for {name}: {rule}")
        rules[name] = rule
    if "other" not in rules:
        raise CityDataError("hazard table needs an 'other' rule")
    return HazardTable(
        rules, float(data.get("calm_wind_mps", 1.0)), float(data.get("calm_half_angle_deg", 90.0))
    )


@lru_cache(maxsize=1)
def hazard_rules() -> HazardTable:
    """The shipped hazard table (read once)."""
    return parse_hazard_table(resources.files("geo").joinpath("hazards.toml").read_text("utf-8"))


def circle_m(x: float, y: float, radius_m: float) -> Any:
    """Point(x, y).buffer(radius_m, quad_segs=16), built by translating one cached circle.

    GEOS writes a point buffer's vertices as x + r*cos(a), y + r*sin(a), so adding (x, y) to
    the circle around (0, 0) gives the very same coordinates (tests compare the two); a zero
    coordinate (whose sign GEOS keeps) goes to GEOS itself.
    """
    if x == 0.0 or y == 0.0:
        return shapely.Point(x, y).buffer(radius_m, quad_segs=16)
    return shapely.polygons(_unit_circle(radius_m) + np.array([x, y]))


@lru_cache(maxsize=64)
def _unit_circle(radius_m: float) -> NDArray[np.float64]:
    circle = shapely.Point(0.0, 0.0).buffer(radius_m, quad_segs=16)
    ring: NDArray[np.float64] = shapely.get_coordinates(circle)
    ring.setflags(write=False)
    return ring


def hazard_zone_metric(
    incident_type: str,
    x: float,
    y: float,
    *,
    wind_from_deg: float | None = None,
    wind_speed_mps: float | None = None,
    table: HazardTable | None = None,
) -> Any:
    """The hazard zone as a shapely polygon in metres around (x, y)."""
    tab = table or hazard_rules()
    rule = tab.rule(incident_type)
    zone = circle_m(x, y, rule.radius_m)
    if wind_from_deg is None or rule.downwind_m <= 0 or not math.isfinite(wind_from_deg):
        return zone
    half = rule.half_angle_deg
    if wind_speed_mps is not None and wind_speed_mps < tab.calm_wind_mps:
        half = max(half, tab.calm_half_angle_deg)  # direction unreliable in calm air
    toward = (wind_from_deg + 180.0) % 360.0
    ring = [(x, y)]
    for k in range(SECTOR_STEPS + 1):
        b = math.radians(toward - half + 2 * half * k / SECTOR_STEPS)
        ring.append((x + rule.downwind_m * math.sin(b), y + rule.downwind_m * math.cos(b)))
    return shapely.union(zone, shapely.Polygon(ring).buffer(0))


@dataclass(frozen=True)
class HazardFootprint:
    """An incident's position (m) and its hazard zone, metric and WGS84 (shared, read-only)."""

    x: float
    y: float
    zone_m: Any
    zone_wgs84: Any


def hazard_footprint(
    incident_type: str,
    lon: float,
    lat: float,
    *,
    crs: str | None = None,
    wind_from_deg: float | None = None,
    wind_speed_mps: float | None = None,
) -> HazardFootprint:
    """The hazard zone of an incident in a metric CRS (default: the local one) and in WGS84.

    Recent results are kept (geometries are immutable), so the overlay and the alert drafted
    for the same incident project its zone once.
    """
    check_lonlat(lon, lat)
    return _footprint(
        incident_type, lon, lat, crs or metric_crs_for(lon, lat), wind_from_deg, wind_speed_mps
    )


@lru_cache(maxsize=FOOTPRINT_CACHE)
def _footprint(
    incident_type: str,
    lon: float,
    lat: float,
    crs: str,
    wind_from_deg: float | None,
    wind_speed_mps: float | None,
) -> HazardFootprint:
    proj = projection_for(crs)
    x, y = proj.point_to_metric(lon, lat)
    zone = hazard_zone_metric(
        incident_type, x, y, wind_from_deg=wind_from_deg, wind_speed_mps=wind_speed_mps
    )
    return HazardFootprint(x, y, zone, proj.geometry_to_wgs84(zone))


def hazard_zone(
    incident_type: str,
    lon: float,
    lat: float,
    *,
    wind_from_deg: float | None = None,
    wind_speed_mps: float | None = None,
) -> Any:
    """The hazard zone around an incident as a WGS84 shapely polygon (contains the incident)."""
    return hazard_footprint(
        incident_type, lon, lat, wind_from_deg=wind_from_deg, wind_speed_mps=wind_speed_mps
    ).zone_wgs84
