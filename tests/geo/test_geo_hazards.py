"""Hazard zones: the radius table and its sources, downwind sectors, containment."""

from __future__ import annotations

import math

import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st

from geo import hazard_rules, hazard_zone
from geo.errors import CityDataError
from geo.hazards import hazard_zone_metric, parse_hazard_table
from geo.projection import KOREA_CRS, projection_for

INCIDENT_TYPES = (
    "fire", "medical", "cardiac_arrest", "rescue", "traffic", "hazmat", "gas_leak",
    "flood", "collapse", "crowd", "structural", "earthquake", "other",
)  # fmt: skip
CITY_HALL = (126.9780, 37.5665)


def test_every_incident_type_has_a_sourced_rule() -> None:
    table = hazard_rules()
    for kind in INCIDENT_TYPES:
        rule = table.rules[kind]
        assert rule.radius_m > 0
        assert len(rule.source) > 20
    assert "ERG" in table.rules["gas_leak"].source
    assert table.rules["gas_leak"].downwind_m == 800


def test_unknown_type_falls_back_to_other() -> None:
    assert hazard_rules().rule("alien_invasion") == hazard_rules().rules["other"]


def test_gas_leak_sector_points_downwind() -> None:
    proj = projection_for(KOREA_CRS)
    x, y = proj.point_to_metric(*CITY_HALL)
    zone = hazard_zone_metric("gas_leak", x, y, wind_from_deg=270.0, wind_speed_mps=4.0)
    assert zone.contains(shapely.Point(x + 700, y))  # wind from the west blows east
    assert not zone.contains(shapely.Point(x - 700, y))
    assert not zone.contains(shapely.Point(x, y + 700))
    calm = hazard_zone_metric("gas_leak", x, y, wind_from_deg=270.0, wind_speed_mps=0.2)
    assert calm.area > zone.area  # calm air: direction unreliable, sector widened


def test_no_sector_without_wind_or_for_medical() -> None:
    proj = projection_for(KOREA_CRS)
    x, y = proj.point_to_metric(*CITY_HALL)
    plain = hazard_zone_metric("hazmat", x, y)
    assert plain.area == pytest.approx(math.pi * 100**2, rel=0.01)
    medical = hazard_zone_metric("medical", x, y, wind_from_deg=90.0, wind_speed_mps=5.0)
    assert medical.area == pytest.approx(math.pi * 30**2, rel=0.01)


@given(
    kind=st.sampled_from(INCIDENT_TYPES),
    lon=st.floats(126.7, 127.3),
    lat=st.floats(37.4, 37.75),
    wind=st.one_of(st.none(), st.floats(-720.0, 720.0)),
    speed=st.one_of(st.none(), st.floats(0.0, 40.0)),
)
def test_hazard_zone_always_contains_the_incident(
    kind: str, lon: float, lat: float, wind: float | None, speed: float | None
) -> None:
    zone = hazard_zone(kind, lon, lat, wind_from_deg=wind, wind_speed_mps=speed)
    assert zone.is_valid
    assert zone.contains(shapely.Point(lon, lat))


@given(lon=st.floats(-179.0, 179.0), lat=st.floats(-80.0, 80.0))
def test_hazard_zone_anywhere_in_the_world(lon: float, lat: float) -> None:
    assert hazard_zone("fire", lon, lat).contains(shapely.Point(lon, lat))


def test_bad_tables_are_rejected() -> None:
    with pytest.raises(CityDataError):
        parse_hazard_table('[types.other]\nradius_m = 0\nsource = "x"\n')
    with pytest.raises(CityDataError):
        parse_hazard_table('[types.fire]\nradius_m = 10\nsource = "x"\n')
