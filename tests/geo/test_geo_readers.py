"""Readers of the Seoul point and boundary files, on small literal files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from geo import SpeedModel
from geo.boundaries import read_districts
from geo.projection import KOREA_CRS, projection_for
from geo.seoul_points import read_cameras, read_shelters, read_songpa_water, read_stations

STATIONS_CSV = """station_id,name,type_ko,parent_id,lon,lat,kind,gu_code,gu_name
1116000,관악소방서,소방서,1100000,126.9523549,37.4739428,fire_station_hq,11620,관악구
1116402,구조대,안전센터/구조대,1116000,126.9523758,37.4738591,rescue_team,11620,관악구
1114103,영동119안전센터,안전센터/구조대,1114000,127.0369438,37.5221434,safety_center_119,11680,강남구
1114103,영동119안전센터,안전센터/구조대,1114000,127.0369438,37.5221434,safety_center_119,11680,강남구
1114104,좌표없음119안전센터,안전센터/구조대,1114000,,,safety_center_119,11680,강남구
"""

WATER_CSV = """seq,serial,water_type,status,lon,lat,suspect_coord
1,A1,소화전,양호,127.10,37.51,False
2,A2,저수조,양호,127.11,37.51,False
3,A3,소화전,고장(사용불),127.12,37.51,False
4,A4,소화전,양호,126.99,37.56,True
"""

CCTV_CSV = """source,lon,lat,purpose,manager,ref_no,gu_code,in_seoul
geumcheon_2016_list,126.89,37.47,방범 CCTV,금천구청,P1,11545,True
geumcheon_2016_list,129.1,35.1,방범 CCTV,금천구청,P2,,False
"""

SHELTERS_CSV = """shelter_type,src_id,name,address,lon,lat,gu_code,gu_name
CIVIL_DEFENSE,10,동대문맨션,주소,127.0107,37.5724,11110,종로구
HEAT,11,동대문맨션,주소,127.0107,37.5724,11110,종로구
COLD,12,삼청동주민센터,주소,126.9819,37.5849,11110,종로구
"""


def write(tmp: Path, name: str, text: str) -> Path:
    path = tmp / name
    path.write_text(text, encoding="utf-8")
    return path


def test_stations_named_seeded_and_deduplicated(tmp_path: Path) -> None:
    stations, report = read_stations(write(tmp_path, "s.csv", STATIONS_CSV))
    assert [s.id for s in stations] == ["1116000", "1116402", "1114103"]
    assert stations[1].name == "관악소방서 구조대"
    assert [u.unit_id for u in stations[1].units] == ["R-1116402-1"]
    assert dict(report.skipped) == {"duplicate station_id": 1, "missing or non-numeric lon/lat": 1}


def test_water_facilities_skip_suspect_and_broken(tmp_path: Path) -> None:
    hydrants, report = read_songpa_water(write(tmp_path, "w.csv", WATER_CSV))
    assert [(h.id, h.kind) for h in hydrants] == [("SPW-A1", "hydrant"), ("SPW-A2", "water_tank")]
    assert dict(report.skipped) == {
        "out of service (고장(사용불))": 1,
        "suspect coordinates (suspect_coord)": 1,
    }


def test_cameras_skip_bad_geocodes(tmp_path: Path) -> None:
    cameras, report = read_cameras(write(tmp_path, "c.csv", CCTV_CSV))
    assert len(cameras) == 1 and cameras[0].purpose == "방범" and cameras[0].direction_deg is None
    assert report.rows_skipped == 1


def test_shelters_merge_the_same_place(tmp_path: Path) -> None:
    shelters, report = read_shelters(write(tmp_path, "h.csv", SHELTERS_CSV))
    assert [s.name for s in shelters] == ["동대문맨션", "삼청동주민센터"]
    assert report.rows_used + report.rows_skipped == report.rows_read == 3


def test_boundaries_skip_and_repair(tmp_path: Path) -> None:
    bowtie = [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]  # self-intersecting: repaired
    features = [
        {
            "properties": {"gu_code": "1", "gu_name": "가"},
            "geometry": {"type": "Polygon", "coordinates": bowtie},
        },
        {
            "properties": {"gu_code": "1", "gu_name": "가"},
            "geometry": {"type": "Polygon", "coordinates": bowtie},
        },
        {"properties": {"gu_name": "나"}, "geometry": {"type": "Polygon", "coordinates": bowtie}},
        {"properties": {"gu_code": "3"}, "geometry": {"type": "Point", "coordinates": [0, 0]}},
        {"properties": {"gu_code": "4"}, "geometry": None},
    ]
    path = write(
        tmp_path, "b.geojson", json.dumps({"type": "FeatureCollection", "features": features})
    )
    districts, report = read_districts(path, level="gu", code_key="gu_code", name_key="gu_name")
    assert [d.code for d in districts] == ["1"]
    assert districts[0].geometry.is_valid
    assert report.rows_skipped == 4


@given(lon=st.floats(124.5, 131.5), lat=st.floats(33.5, 39.0))
def test_projection_round_trip(lon: float, lat: float) -> None:
    proj = projection_for(KOREA_CRS)
    x, y = proj.to_metric(lon, lat)
    back_lon, back_lat = proj.to_wgs84(x, y)
    assert float(back_lon) == pytest.approx(lon, abs=1e-9)
    assert float(back_lat) == pytest.approx(lat, abs=1e-9)


@given(
    legal=st.floats(0.0, 200.0),
    rank=st.one_of(st.none(), st.integers(100, 110)),
    length=st.floats(0.1, 5000.0),
)
def test_speed_model_bounds(legal: float, rank: int | None, length: float) -> None:
    model = SpeedModel()
    kph = model.legal_kph_for_rank(legal, rank)
    assert kph > 0
    assert model.min_kph <= model.emergency_kph(kph) <= model.max_kph
    assert model.travel_time_s(length, kph) == pytest.approx(
        length / (model.emergency_kph(kph) / 3.6)
    )


def test_speed_model_defaults() -> None:
    model = SpeedModel()
    assert model.legal_kph_for_rank(0, 107) == 30.0  # 안전속도 5030: local streets
    assert model.legal_kph_for_rank(None, 102) == 80.0  # 도시고속도로
    assert model.legal_kph_for_highway(None, "primary") == 50.0
    assert model.emergency_kph(60.0) == pytest.approx(48.0)
    assert hash(model) == hash(SpeedModel())
    assert np.isclose(SpeedModel(emergency_factor=1.0).emergency_kph(60.0), 60.0)
