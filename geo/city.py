"""The City: road graph plus stations, hydrants, cameras, facilities and districts."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from geo.model import Camera, District, Facility, Hydrant, LoadReport, Station
from geo.projection import Projection
from geo.roads import RoadGraph
from geo.time_table import TimeTable, unit_times_to

__all__ = ["City"]


class _DistrictIndex:
    """Point-in-polygon lookup over districts through an STRtree."""

    def __init__(self, districts: Sequence[District]) -> None:
        self._districts = tuple(districts)
        geoms = [d.geometry for d in self._districts]
        shapely.prepare(geoms)  # point-in-polygon on full-resolution gu outlines gets faster
        self._geoms = geoms
        self._tree = shapely.STRtree(geoms)

    def at(self, lon: float, lat: float) -> District | None:
        for i in sorted(self._tree.query(shapely.Point(lon, lat)).tolist()):  # bbox candidates
            if shapely.intersects_xy(self._geoms[i], lon, lat):  # prepared: fast
                district: District = self._districts[i]
                return district
        return None

    def codes_at(self, lons: NDArray[np.float64], lats: NDArray[np.float64]) -> list[str | None]:
        found = (self.at(float(x), float(y)) for x, y in zip(lons, lats, strict=True))
        return [d.code if d is not None else None for d in found]

    def intersecting(self, geometry: Any) -> list[District]:
        hits = self._tree.query(geometry, predicate="intersects")
        return [self._districts[int(i)] for i in sorted(hits)]


class City:
    """Everything geo knows about one city, loaded once and shared read-only."""

    def __init__(
        self,
        *,
        name: str,
        roads: RoadGraph,
        stations: Sequence[Station],
        hydrants: Sequence[Hydrant],
        cameras: Sequence[Camera],
        facilities: Sequence[Facility],
        districts: Sequence[District],
        dongs: Sequence[District],
        report: LoadReport,
    ) -> None:
        self.name = name
        self.roads = roads
        self.stations = tuple(stations)
        self.hydrants = tuple(hydrants)
        self.cameras = tuple(cameras)
        self.facilities = tuple(facilities)
        self.districts = tuple(districts)
        self.dongs = tuple(dongs)
        self.report = report
        self._gu = _DistrictIndex(self.districts)
        self._dong = _DistrictIndex(self.dongs)

    def __repr__(self) -> str:
        return (
            f"City({self.name!r}, nodes={self.roads.node_count}, edges={self.roads.edge_count}, "
            f"stations={len(self.stations)}, hydrants={len(self.hydrants)}, "
            f"cameras={len(self.cameras)}, facilities={len(self.facilities)}, "
            f"districts={len(self.districts)}, dongs={len(self.dongs)})"
        )

    @property
    def projection(self) -> Projection:
        """The metric projection used for this city's distances."""
        return self.roads.projection

    @cached_property
    def bbox(self) -> tuple[float, float, float, float]:
        """(min_lon, min_lat, max_lon, max_lat) of the road network and districts."""
        lon, lat = self.roads.node_lonlats()
        bounds = [np.array([lon.min(), lat.min(), lon.max(), lat.max()])]
        if self.districts:
            bounds.append(shapely.total_bounds([d.geometry for d in self.districts]))
        b = np.array(bounds)
        return (
            float(b[:, 0].min()),
            float(b[:, 1].min()),
            float(b[:, 2].max()),
            float(b[:, 3].max()),
        )

    def district_at(self, lon: float, lat: float) -> District | None:
        """The gu containing a point, None outside every gu."""
        return self._gu.at(lon, lat)

    def dong_at(self, lon: float, lat: float) -> District | None:
        """The dong containing a point, None outside every dong."""
        return self._dong.at(lon, lat)

    def district_codes_at(
        self, lons: NDArray[np.float64], lats: NDArray[np.float64]
    ) -> list[str | None]:
        """The gu code of many points at once (None outside every gu), same as district_at."""
        return self._gu.codes_at(np.asarray(lons, float), np.asarray(lats, float))

    def districts_intersecting(self, geometry: Any) -> list[District]:
        """The gu a WGS84 shapely geometry (an alert area, a hazard zone) touches."""
        return self._gu.intersecting(geometry)

    def dongs_intersecting(self, geometry: Any) -> list[District]:
        """The dongs a WGS84 shapely geometry touches."""
        return self._dong.intersecting(geometry)

    def station(self, station_id: str) -> Station | None:
        """A station by id."""
        return self._stations_by_id.get(station_id)

    @cached_property
    def _stations_by_id(self) -> dict[str, Station]:
        return {s.id: s for s in self.stations}

    @cached_property
    def station_nodes(self) -> NDArray[np.int64]:
        """The road node each station snaps to, in station order."""
        lonlat = np.array([(s.lon, s.lat) for s in self.stations], float).reshape(-1, 2)
        return self.roads.snap_many(lonlat[:, 0], lonlat[:, 1])[0]

    @cached_property
    def station_table(self) -> TimeTable | None:
        """Exact travel times and shortest-path trees from every station node to every node
        (None if too large): dispatch looks ETAs up and walks routes instead of searching."""
        anchors = np.unique(self.station_nodes)
        if anchors.size == 0 or not TimeTable.fits(self.roads, anchors.size):
            return None
        return TimeTable(self.roads, anchors)

    def unit_times_to(
        self, target: int, unit_nodes: Sequence[int] | NDArray[np.int64], horizon_s: float = np.inf
    ) -> NDArray[np.float64]:
        """Travel time (s) from each unit's road node to target; inf beyond the horizon.

        Units at a station node are looked up in the station table; one reverse search from
        the target answers the others (only when there are any). Bit-identical times either
        way (edge times are quantized, so every search adds them exactly).
        """
        return unit_times_to(self.roads, target, unit_nodes, horizon_s, self.station_table)

    @cached_property
    def hydrant_index(self) -> tuple[cKDTree, NDArray[np.int64], NDArray[np.float64]]:
        """KD-tree of hydrants in metres, with each hydrant's road node and snap distance."""
        return self._point_index([(h.lon, h.lat) for h in self.hydrants])

    @cached_property
    def camera_index(self) -> tuple[cKDTree, NDArray[np.int64], NDArray[np.float64]]:
        """KD-tree of cameras in metres, with each camera's road node and snap distance."""
        return self._point_index([(c.lon, c.lat) for c in self.cameras])

    @cached_property
    def facility_index(self) -> tuple[cKDTree, NDArray[np.int64], NDArray[np.float64]]:
        """KD-tree of facilities in metres, with each facility's road node and snap distance."""
        return self._point_index([(f.lon, f.lat) for f in self.facilities])

    def _point_index(
        self, lonlat: list[tuple[float, float]]
    ) -> tuple[cKDTree, NDArray[np.int64], NDArray[np.float64]]:
        pts = np.array(lonlat, float).reshape(-1, 2)
        x, y = self.projection.to_metric(pts[:, 0], pts[:, 1])
        nodes, dist = self.roads.snap_many(pts[:, 0], pts[:, 1])
        return cKDTree(np.column_stack([x, y]).reshape(-1, 2)), nodes, dist
