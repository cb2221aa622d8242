"""The Seoul city from the files in a data directory (see shared/data/seoul/SOURCES.md)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from geo.boundaries import read_districts
from geo.city import City
from geo.errors import CityDataError
from geo.graph_build import graph_from_network
from geo.model import FileReport, LoadReport
from geo.nodelink import read_nodelink
from geo.projection import KOREA_CRS
from geo.seoul_points import (
    read_cameras,
    read_emergency_devices,
    read_emergency_rooms,
    read_shelters,
    read_songpa_water,
    read_stations,
)
from geo.speeds import SpeedModel

__all__ = ["SEOUL_FILES", "load_seoul"]

SEOUL_FILES = {
    "nodes": "seoul_nodelink_nodes.csv",
    "links": "seoul_nodelink_links.csv",
    "stations": "seoul_fire_stations_119_centers.csv",
    "devices": "seoul_emergency_firefighting_devices.csv",
    "songpa_water": "songpa_fire_water_facilities.csv",
    "cameras": "seoul_cctv_gangnam_geumcheon.csv",
    "emergency_rooms": "seoul_emergency_rooms.csv",
    "shelters": "seoul_shelters_sample_central.csv",
    "gu": "seoul_gu_boundaries.geojson",
    "dong": "seoul_admin_dong_boundaries_2013_simplified.geojson",
}

T = TypeVar("T")


def load_seoul(data_dir: Path, *, speed_model: SpeedModel | None = None) -> City:
    """Seoul: node-link roads and every point/boundary layer present in data_dir."""
    model = speed_model or SpeedModel()
    files: list[FileReport] = []
    notes: list[str] = []

    def optional(key: str, reader: Callable[[Path], tuple[list[T], FileReport]]) -> list[T]:
        path = data_dir / SEOUL_FILES[key]
        if not path.is_file():
            notes.append(f"{SEOUL_FILES[key]} absent: layer empty")
            return []
        items, report = reader(path)
        files.append(report)
        return items

    if not (data_dir / SEOUL_FILES["nodes"]).is_file():
        raise CityDataError(f"no Seoul node-link data in {data_dir}")
    raw, road_reports = read_nodelink(
        data_dir / SEOUL_FILES["nodes"], data_dir / SEOUL_FILES["links"], model
    )
    files.extend(road_reports)
    roads, cleaning = graph_from_network(raw, model, KOREA_CRS)
    stations = optional("stations", read_stations)
    hydrants = optional("devices", read_emergency_devices) + optional(
        "songpa_water", read_songpa_water
    )
    cameras = optional("cameras", read_cameras)
    facilities = optional("emergency_rooms", read_emergency_rooms) + optional(
        "shelters", read_shelters
    )
    gus = optional(
        "gu", lambda p: read_districts(p, level="gu", code_key="gu_code", name_key="gu_name")
    )
    dongs = optional(
        "dong",
        lambda p: read_districts(
            p, level="dong", code_key="adm_dong_code_kostat", name_key="dong_name"
        ),
    )
    notes.append(
        "units seeded per station type (see geo/units.py); no schools/care homes in the data"
    )
    if cleaning.self_loops_dropped:
        notes.append(f"{cleaning.self_loops_dropped} self-loop links dropped")
    report = LoadReport(
        source=str(data_dir),
        files=tuple(files),
        parallel_edges_merged=cleaning.parallel_edges_merged,
        nodes_dropped_scc=cleaning.nodes_dropped_scc,
        edges_dropped_scc=cleaning.edges_dropped_scc,
        notes=tuple(notes),
    )
    return City(
        name="seoul",
        roads=roads,
        stations=stations,
        hydrants=hydrants,
        cameras=cameras,
        facilities=facilities,
        districts=gus,
        dongs=dongs,
        report=report,
    )
