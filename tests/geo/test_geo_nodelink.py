"""The node-link reader on small literal files, and on arbitrary junk."""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo import SpeedModel
from geo.errors import CityDataError
from geo.graph_build import graph_from_network
from geo.nodelink import read_nodelink
from geo.projection import KOREA_CRS

NODE_HEADER = ["node_id", "lon", "lat", "node_type", "turn_p", "gu_code", "stnl_reg"]
LINK_HEADER = [
    "link_id",
    "from_node",
    "to_node",
    "length_m",
    "road_rank",
    "road_name",
    "max_speed_kph",
]


def write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def sample_files(tmp: Path) -> tuple[Path, Path]:
    nodes = write(
        tmp / "n.csv",
        NODE_HEADER,
        [
            ["1", "126.978", "37.566", "101", "1", "11140", "100"],
            ["2", "126.979", "37.566", "101", "1", "11140", "100"],
            ["3", "126.979", "37.567", "101", "1", "11140", "100"],
            ["4", "not-a-number", "37.567", "101", "1", "11140", "100"],
            ["5", "2.35", "48.85", "101", "1", "11140", "100"],
        ],
    )
    links = write(
        tmp / "l.csv",
        LINK_HEADER,
        [
            ["a", "1", "2", "90", "107", "세종대로", "30"],
            ["b", "2", "1", "90", "107", "세종대로", "30"],
            ["c", "2", "3", "110", "104", "을지로", "0"],  # 0 km/h: rank default (50)
            ["d", "3", "1", "140", "107", "-", "30"],
            ["e", "3", "99", "50", "107", "경계로", "30"],  # node 99 missing (border link)
            ["f", "1", "3", "-5", "107", "x", "30"],
        ],
    )
    return nodes, links


def test_reader_counts_and_speeds(tmp_path: Path) -> None:
    model = SpeedModel()
    raw, (node_report, link_report) = read_nodelink(*sample_files(tmp_path), model)
    assert node_report.rows_read == 5 and node_report.rows_used == 3
    assert dict(node_report.skipped) == {
        "missing or non-numeric lon/lat": 1,
        "coordinates outside Korea": 1,
    }
    assert link_report.rows_used == 4
    assert dict(link_report.skipped) == {
        "endpoint not in node file": 1,
        "missing or non-positive length_m": 1,
    }
    assert list(raw.legal_kph) == [30.0, 30.0, 50.0, 30.0]
    assert raw.streets[3] == ""
    graph, _ = graph_from_network(raw, model, KOREA_CRS)
    one, two = graph.node_index("1"), graph.node_index("2")
    assert one is not None and two is not None
    assert graph.edge_time_s(one, two) == pytest.approx(90 / (30 * 0.8 / 3.6))


def test_missing_files_raise(tmp_path: Path) -> None:
    with pytest.raises(CityDataError):
        read_nodelink(tmp_path / "none.csv", tmp_path / "none2.csv", SpeedModel())


cell = st.one_of(
    st.text(max_size=6),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.integers(-5, 5).map(str),
)


@settings(max_examples=40, deadline=None)
@given(
    nodes=st.lists(st.tuples(cell, cell, cell), max_size=6),
    links=st.lists(st.tuples(cell, cell, cell, cell, cell), max_size=8),
)
def test_reader_never_crashes_and_accounts_for_every_row(
    nodes: list[tuple[str, str, str]], links: list[tuple[str, ...]]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        n = write(Path(tmp) / "n.csv", ["node_id", "lon", "lat"], [list(r) for r in nodes])
        lk = write(
            Path(tmp) / "l.csv",
            ["from_node", "to_node", "length_m", "road_rank", "max_speed_kph"],
            [list(r) for r in links],
        )
        raw, reports = read_nodelink(n, lk, SpeedModel())
    for report in reports:
        assert report.rows_used + report.rows_skipped == report.rows_read
    assert len(raw.src) == reports[1].rows_used
    assert all(k > 0 for k in raw.legal_kph)
