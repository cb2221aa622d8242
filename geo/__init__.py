"""geo: the city (roads, stations, hydrants, cameras, districts), routing and overlays.

Pure: imports numpy, scipy, shapely and pyproj only (pyrosm lazily, for .osm.pbf files).

    city = load_city(data_dir)             # Seoul dir, an .osm/.osm.pbf file, or None (demo)
    incident = city.roads.snap(lon, lat)   # Snap(node, distance_m, lon, lat)
    eta_s = city.unit_times_to(incident.node, unit_nodes, horizon_s=840)  # every unit at once
    route = city.roads.route(unit_node, incident.node)   # Route(eta_s, distance_m, geometry...)
    banded = TravelTimes.for_city(city, TravelModel())   # calibrated: one table per hour band
    overlay = build_overlay(city, "gas_leak", lon, lat, wind_from_deg=270, wind_speed_mps=3)
"""

from geo.cameras import CameraView, cameras_seeing
from geo.city import City
from geo.coverage import coverage_by_district
from geo.errors import CityDataError, GeoError, InvalidCoordinatesError, UnknownNodeError
from geo.hazards import HazardRule, hazard_rules, hazard_zone
from geo.layers import district_features, point_features, road_features
from geo.load import clear_city_cache, has_seoul_data, load_city
from geo.model import (
    UNIT_KINDS,
    Camera,
    District,
    Facility,
    FileReport,
    Hydrant,
    LoadReport,
    Station,
    UnitSeed,
)
from geo.overlay import Overlay, build_overlay, nearest_hydrants
from geo.projection import KOREA_CRS, Projection, metric_crs_for, projection_for
from geo.roads import RoadGraph
from geo.route import EdgeSnap, Route, Snap, Step
from geo.speeds import SpeedModel
from geo.time_table import TimeTable, unit_times_to
from geo.travel import HourBand, TravelModel, TravelTimes

__all__ = [
    "KOREA_CRS",
    "UNIT_KINDS",
    "Camera",
    "CameraView",
    "City",
    "CityDataError",
    "District",
    "EdgeSnap",
    "Facility",
    "FileReport",
    "GeoError",
    "HazardRule",
    "HourBand",
    "Hydrant",
    "InvalidCoordinatesError",
    "LoadReport",
    "Overlay",
    "Projection",
    "RoadGraph",
    "Route",
    "Snap",
    "SpeedModel",
    "Station",
    "Step",
    "TimeTable",
    "TravelModel",
    "TravelTimes",
    "UnitSeed",
    "UnknownNodeError",
    "build_overlay",
    "cameras_seeing",
    "clear_city_cache",
    "coverage_by_district",
    "district_features",
    "has_seoul_data",
    "hazard_rules",
    "hazard_zone",
    "load_city",
    "metric_crs_for",
    "nearest_hydrants",
    "point_features",
    "projection_for",
    "road_features",
    "unit_times_to",
]
