"""Named sample values for alerts tests: literal districts, a gas leak, a fixed clock."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shapely.geometry import Point, Polygon

from alerts import KST, AlertContext, DistrictShape
from alerts.metric import to_metric, to_wgs84

# Named literal districts: two side-by-side "gu" squares around Seoul City Hall, each split
# into two "dong" halves. Incident CITY_HALL sits in WEST_GU / WEST_NORTH_DONG.
WEST_GU = DistrictShape(
    "11110",
    "종로구",
    "gu",
    Polygon([(126.96, 37.55), (126.98, 37.55), (126.98, 37.58), (126.96, 37.58)]),
)
EAST_GU = DistrictShape(
    "11140",
    "중구",
    "gu",
    Polygon([(126.98, 37.55), (127.00, 37.55), (127.00, 37.58), (126.98, 37.58)]),
)
WEST_NORTH_DONG = DistrictShape(
    "1111051",
    "사직동",
    "dong",
    Polygon([(126.96, 37.565), (126.98, 37.565), (126.98, 37.58), (126.96, 37.58)]),
)
WEST_SOUTH_DONG = DistrictShape(
    "1111052",
    "청운동",
    "dong",
    Polygon([(126.96, 37.55), (126.98, 37.55), (126.98, 37.565), (126.96, 37.565)]),
)
LITERAL_DISTRICTS = (WEST_GU, EAST_GU, WEST_NORTH_DONG, WEST_SOUTH_DONG)
CITY_HALL = (126.9700, 37.5700)
NOW = datetime(2026, 11, 21, 13, 5, tzinfo=KST)


def circle(lon: float, lat: float, radius_m: float) -> Polygon:
    """A WGS84 circle of radius_m around (lon, lat), built in EPSG:5179."""
    out: Polygon = to_wgs84(to_metric(Point(lon, lat)).buffer(radius_m))
    return out


def gas_leak(
    incident_id: str = "inc-gas-1",
    lon: float = CITY_HALL[0],
    lat: float = CITY_HALL[1],
    radius_m: float = 300.0,
    **kw: object,
) -> AlertContext:
    """A priority-2 gas leak measured by one sensor, with a circular hazard zone."""
    fields: dict[str, Any] = {"place": "세종대로 110", "sensors": 1}
    fields.update(kw)
    return AlertContext(
        incident_id, "gas_leak", 2, lon, lat, NOW, hazard_zone=circle(lon, lat, radius_m), **fields
    )


def crowd_crush(incident_id: str = "inc-crowd-1", **kw: Any) -> AlertContext:
    """A crowd crush in progress (fusion's mass-casualty signal) at CITY_HALL."""
    lon, lat = CITY_HALL
    return AlertContext(
        incident_id,
        "crowd",
        1,
        lon,
        lat,
        NOW,
        hazard_zone=circle(lon, lat, 150),
        mass_casualty=True,
        calls=6,
        **kw,
    )


def smoky_fire(at: datetime = NOW, calls: int = 12) -> AlertContext:
    """A fire reported by many separate callers: its smoke reaches the public."""
    return AlertContext("inc-fire", "fire", 1, *CITY_HALL, at, calls=calls)
