"""The built-in demo city: a generated 4 x 4 km grid around Seoul City Hall, all layers included.

Used when no Seoul data directory is given, so a fresh clone runs. Everything is generated
deterministically (fixed seed), so ids and coordinates are the same on every run.
"""

from __future__ import annotations

import shapely

from geo.city import City
from geo.grid import grid_road_graph
from geo.model import Camera, District, Facility, Hydrant, LoadReport, Station
from geo.roads import RoadGraph
from geo.speeds import SpeedModel
from geo.units import seed_units

__all__ = ["BUILTIN_NAME", "GRID_SIZE", "builtin_city"]

BUILTIN_NAME = "builtin-demo"
GRID_SIZE = 37  # odd, so a node sits on the centre (Seoul City Hall)
SPACING_M = 120.0
OFFSET_M = 12.0  # layers sit beside the street, not on the centre line

# (station id, name, kind, grid row, grid col)
_STATIONS = (
    ("DEMO-HQ1", "데모북부소방서", "fire_station_hq", 26, 9),
    ("DEMO-HQ2", "데모남부소방서", "fire_station_hq", 8, 27),
    ("DEMO-C01", "북서119안전센터", "safety_center_119", 30, 3),
    ("DEMO-C02", "북동119안전센터", "safety_center_119", 28, 30),
    ("DEMO-C03", "중앙119안전센터", "safety_center_119", 18, 18),
    ("DEMO-C04", "남서119안전센터", "safety_center_119", 5, 6),
    ("DEMO-C05", "남동119안전센터", "safety_center_119", 3, 33),
    ("DEMO-R01", "데모특수구조대", "rescue_team", 17, 12),
)
# the demo emergency rooms' levels: one of each designation (응급의료에 관한 법률 제26조~제31조)
_ER_LEVELS = {
    "DEMO-ER1": "권역응급의료센터",
    "DEMO-ER2": "지역응급의료센터",
    "DEMO-ER3": "지역응급의료기관",
}
# (facility id, name, kind, grid row, grid col)
_FACILITIES = (
    ("DEMO-ER1", "데모대학교병원 응급실", "emergency_room", 20, 14),
    ("DEMO-ER2", "남부종합병원 응급실", "emergency_room", 6, 22),
    ("DEMO-ER3", "북부의료원 응급실", "emergency_room", 31, 25),
    ("DEMO-SH1", "중앙초등학교 대피소", "shelter", 16, 16),
    ("DEMO-SH2", "북서주민센터 지하대피소", "shelter", 27, 5),
    ("DEMO-SH3", "남동체육관 대피소", "shelter", 4, 30),
    ("DEMO-SH4", "동부지하철역 대피소", "shelter", 19, 31),
    ("DEMO-SH5", "서부공원 옥외대피장소", "shelter", 12, 2),
    ("DEMO-SH6", "북부문화센터 대피소", "shelter", 33, 17),
    ("DEMO-SC1", "중앙초등학교", "school", 16, 17),
    ("DEMO-SC2", "북부중학교", "school", 29, 12),
    ("DEMO-SC3", "남부고등학교", "school", 7, 14),
    ("DEMO-SC4", "동부초등학교", "school", 22, 28),
    ("DEMO-SC5", "서부중학교", "school", 14, 4),
    ("DEMO-SC6", "남동초등학교", "school", 2, 26),
    ("DEMO-CH1", "햇살요양원", "care_home", 18, 20),
    ("DEMO-CH2", "푸른노인요양센터", "care_home", 9, 9),
    ("DEMO-CH3", "한빛요양병원", "care_home", 30, 21),
)
_GU = (("99010", "남서구"), ("99020", "남동구"), ("99030", "북서구"), ("99040", "북동구"))
_CAMERA_PURPOSES = ("방범", "교통", "어린이보호")


class _Grid:
    """Positions on the generated grid, in metres and degrees."""

    def __init__(self, roads: RoadGraph) -> None:
        self.roads = roads
        self.x, self.y = roads.node_xy()

    def xy(self, row: int, col: int, offset_m: float = OFFSET_M) -> tuple[float, float]:
        node = self.roads.node_index(f"G{row * GRID_SIZE + col}")
        if node is None:  # dropped with the SCC cleaning: use a neighbour
            return self.xy(row, col + 1 if col + 1 < GRID_SIZE else col - 1, offset_m)
        return float(self.x[node]) + offset_m, float(self.y[node]) + offset_m

    def lonlat(self, row: int, col: int, offset_m: float = OFFSET_M) -> tuple[float, float]:
        lon, lat = self.roads.projection.to_wgs84(*self.xy(row, col, offset_m))
        return float(lon), float(lat)


def _districts(
    grid: _Grid, cells: int, level: str, names: tuple[tuple[str, str], ...]
) -> list[District]:
    """cells x cells rectangles covering the grid (with a margin), numbered from south-west."""
    margin = SPACING_M
    x0, y0 = grid.x.min() - margin, grid.y.min() - margin
    w = (grid.x.max() + margin - x0) / cells
    h = (grid.y.max() + margin - y0) / cells
    out = []
    for k in range(cells * cells):
        i, j = divmod(k, cells)
        box = shapely.box(x0 + j * w, y0 + i * h, x0 + (j + 1) * w, y0 + (i + 1) * h)
        code, name = names[k]
        out.append(District(code, name, level, grid.roads.projection.geometry_to_wgs84(box)))
    return out


def builtin_city(speed_model: SpeedModel | None = None) -> City:
    """The generated demo city (same ids and coordinates on every run)."""
    roads, cleaning = grid_road_graph(
        GRID_SIZE, GRID_SIZE, spacing_m=SPACING_M, speed_model=speed_model
    )
    grid = _Grid(roads)
    gus = _districts(grid, 2, "gu", _GU)
    dong_names = tuple(
        (f"{_GU[(k // 8) * 2 + (k % 4) // 2][0]}{k:02d}", f"데모{k + 1}동") for k in range(16)
    )
    dongs = _districts(grid, 4, "dong", dong_names)
    index = {d.code: d for d in gus}

    def gu_of(lon: float, lat: float) -> str | None:
        p = shapely.Point(lon, lat)
        return next((code for code, d in index.items() if d.geometry.intersects(p)), None)

    stations = []
    for sid, name, kind, r, c in _STATIONS:
        lon, lat = grid.lonlat(r, c)
        stations.append(
            Station(sid, name, lon, lat, gu_of(lon, lat), seed_units(sid, kind, name), kind)
        )
    hydrants = []
    for r in range(GRID_SIZE):
        for c in range(GRID_SIZE):
            if (r + c) % 3 == 0:
                kind = "emergency_fire_device" if (r * GRID_SIZE + c) % 10 == 0 else "hydrant"
                lon, lat = grid.lonlat(r, c, offset_m=8.0)
                hydrants.append(Hydrant(f"DEMO-HY-{r:02d}{c:02d}", lon, lat, kind))
    cameras = []
    for k, (r, c) in enumerate(
        (r, c) for r in range(1, GRID_SIZE, 2) for c in range(0, GRID_SIZE, 2)
    ):
        lon, lat = grid.lonlat(r, c, offset_m=5.0)
        direction = None if k % 3 == 2 else float((k * 90) % 360)
        cameras.append(
            Camera(
                f"DEMO-CAM-{k:03d}",
                lon,
                lat,
                _CAMERA_PURPOSES[k % 3],
                "데모구청",
                direction,
                gu_of(lon, lat),
            )
        )
    facilities = [
        Facility(fid, name, kind, *grid.lonlat(r, c), _ER_LEVELS.get(fid, ""))
        for fid, name, kind, r, c in _FACILITIES
    ]
    report = LoadReport(
        source=BUILTIN_NAME,
        parallel_edges_merged=cleaning.parallel_edges_merged,
        nodes_dropped_scc=cleaning.nodes_dropped_scc,
        edges_dropped_scc=cleaning.edges_dropped_scc,
        notes=("generated grid city (seed 7), not real data",),
    )
    return City(
        name=BUILTIN_NAME,
        roads=roads,
        stations=stations,
        hydrants=hydrants,
        cameras=cameras,
        facilities=facilities,
        districts=gus,
        dongs=dongs,
        report=report,
    )
