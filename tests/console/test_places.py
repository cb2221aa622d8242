"""Places people can read, from the city's districts, dongs and streets."""

from __future__ import annotations

import pytest

from console.places import PlaceFinder, place_name
from geo import City, load_city
from tests.conftest import seoul_data_dir


@pytest.fixture(scope="module")
def demo_city() -> City:
    return load_city(None)


def test_a_point_on_a_street_is_named_by_gu_dong_and_street(demo_city: City) -> None:
    lon, lat = 126.978, 37.5665
    gu, dong = demo_city.district_at(lon, lat), demo_city.dong_at(lon, lat)
    name = place_name(demo_city, lon, lat)
    assert gu is not None and dong is not None and name is not None
    assert name.startswith(f"{gu.name} {dong.name} ")
    assert name.endswith(" 부근") and len(name.split()) == 4


def test_a_point_far_from_every_street_and_district_has_no_street_and_no_name(
    demo_city: City,
) -> None:
    assert place_name(demo_city, 127.5, 36.0) is None


def test_the_finder_remembers_each_position(demo_city: City) -> None:
    finder = PlaceFinder(demo_city, max_entries=2)
    first = finder.name(126.978, 37.5665)
    assert finder.name(126.978000001, 37.5665) == first
    finder.name(126.97, 37.56)
    finder.name(126.99, 37.57)  # past the bound: the memo starts over, names stay right
    assert finder.name(126.978, 37.5665) == first


@pytest.mark.skipif(seoul_data_dir() is None, reason="Seoul data not present")
def test_hapjeong_is_named_as_a_seoul_dispatcher_would() -> None:
    city = load_city(seoul_data_dir())
    assert place_name(city, 126.914, 37.549) == "마포구 합정동 양화로 부근"
