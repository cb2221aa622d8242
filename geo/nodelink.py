"""Reader of the ITS standard node-link (표준노드링크) CSVs: directed links, one per direction."""

from __future__ import annotations

import csv
import math
from collections import Counter
from pathlib import Path

import numpy as np

from geo.errors import CityDataError
from geo.graph_build import RawNetwork
from geo.model import FileReport
from geo.speeds import SpeedModel

__all__ = ["KOREA_LONLAT_BOUNDS", "read_nodelink"]

KOREA_LONLAT_BOUNDS = (124.0, 33.0, 132.0, 39.5)


def _float(text: str | None) -> float | None:
    try:
        value = float(text) if text not in (None, "") else None
    except ValueError:
        return None
    return value if value is not None and math.isfinite(value) else None


def _in_bounds(lon: float, lat: float) -> bool:
    min_lon, min_lat, max_lon, max_lat = KOREA_LONLAT_BOUNDS
    return min_lon <= lon <= max_lon and min_lat <= lat <= max_lat


def _read_nodes(path: Path) -> tuple[dict[str, tuple[float, float]], FileReport]:
    nodes: dict[str, tuple[float, float]] = {}
    skipped: Counter[str] = Counter()
    rows = 0
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            rows += 1
            nid = (row.get("node_id") or "").strip()
            lon, lat = _float(row.get("lon")), _float(row.get("lat"))
            if not nid:
                skipped["missing node_id"] += 1
            elif lon is None or lat is None:
                skipped["missing or non-numeric lon/lat"] += 1
            elif not _in_bounds(lon, lat):
                skipped["coordinates outside Korea"] += 1
            elif nid in nodes:
                skipped["duplicate node_id"] += 1
            else:
                nodes[nid] = (lon, lat)
    return nodes, FileReport(path.name, rows, len(nodes), tuple(sorted(skipped.items())))


def read_nodelink(
    nodes_path: Path, links_path: Path, speed_model: SpeedModel
) -> tuple[RawNetwork, list[FileReport]]:
    """The directed network of a node-link pair, with per-file row reports.

    Links whose endpoint is missing from the node file (border links) are skipped and
    counted; a legal speed of 0 falls back to the road_rank default of the speed model.
    """
    if not nodes_path.is_file() or not links_path.is_file():
        raise CityDataError(f"node-link files not found: {nodes_path}, {links_path}")
    nodes, node_report = _read_nodes(nodes_path)
    index = {nid: i for i, nid in enumerate(nodes)}
    src: list[int] = []
    dst: list[int] = []
    length_m: list[float] = []
    legal_kph: list[float] = []
    streets: list[str] = []
    skipped: Counter[str] = Counter()
    rows = 0
    with links_path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            rows += 1
            u, v = (
                index.get((row.get("from_node") or "").strip()),
                index.get((row.get("to_node") or "").strip()),
            )
            length = _float(row.get("length_m"))
            if u is None or v is None:
                skipped["endpoint not in node file"] += 1
                continue
            if length is None or length <= 0:
                skipped["missing or non-positive length_m"] += 1
                continue
            speed = _float(row.get("max_speed_kph"))
            rank_f = _float(row.get("road_rank"))
            rank = int(rank_f) if rank_f is not None else None
            name = (row.get("road_name") or "").strip()
            src.append(u)
            dst.append(v)
            length_m.append(length)
            legal_kph.append(speed_model.legal_kph_for_rank(speed, rank))
            streets.append("" if name in ("-", "0") else name)
    link_report = FileReport(links_path.name, rows, len(src), tuple(sorted(skipped.items())))
    lonlat = np.array(list(nodes.values()), float).reshape(-1, 2)
    raw = RawNetwork(
        node_ids=list(nodes),
        lon=lonlat[:, 0],
        lat=lonlat[:, 1],
        src=np.array(src, np.int64),
        dst=np.array(dst, np.int64),
        length_m=np.array(length_m, float),
        legal_kph=np.array(legal_kph, float),
        streets=streets,
    )
    return raw, [node_report, link_report]
