"""A City from one OpenStreetMap extract: roads, fire stations, hydrants, cameras, facilities."""

from __future__ import annotations

import math
from pathlib import Path

from geo.city import City
from geo.graph_build import graph_from_network
from geo.model import Camera, Facility, Hydrant, LoadReport, Station
from geo.osm import read_osm
from geo.speeds import SpeedModel
from geo.units import seed_units

__all__ = ["OSM_SUFFIXES", "is_osm_file", "load_osm_city"]

OSM_SUFFIXES = (".osm", ".osm.gz", ".osm.pbf")


def is_osm_file(path: Path) -> bool:
    """Whether a path names an OSM extract this package reads."""
    return path.is_file() and path.name.endswith(OSM_SUFFIXES)


def _direction(value: str | None) -> float | None:
    try:
        deg = float(value) if value else None
    except ValueError:
        return None  # compass words ('N', 'NE') are rare: treat as unknown
    return deg % 360.0 if deg is not None and math.isfinite(deg) else None


def load_osm_city(path: Path, *, speed_model: SpeedModel | None = None) -> City:
    """A City from an OSM file; layers come from its tags (no district boundaries)."""
    model = speed_model or SpeedModel()
    extract = read_osm(path, model)
    roads, cleaning = graph_from_network(extract.network, model, extract.crs)
    stations, hydrants, cameras, facilities = [], [], [], []
    for poi in extract.pois:
        short = poi.osm_id.replace("/", "-")
        if poi.kind == "fire_station":
            sid = f"OSM-{short}"
            units = seed_units(sid, "safety_center_119")
            stations.append(Station(sid, poi.name or sid, poi.lon, poi.lat, None, units))
        elif poi.kind == "hydrant":
            hydrants.append(Hydrant(f"OSM-{short}", poi.lon, poi.lat, "hydrant"))
        elif poi.kind == "camera":
            direction = _direction(poi.tags.get("camera:direction") or poi.tags.get("direction"))
            purpose = poi.tags.get("surveillance", "unknown")
            owner = poi.tags.get("operator", "")
            cameras.append(
                Camera(f"OSM-{short}", poi.lon, poi.lat, purpose, owner, direction, None)
            )
        else:
            facilities.append(Facility(f"OSM-{short}", poi.name, poi.kind, poi.lon, poi.lat))
    report = LoadReport(
        source=str(path),
        files=(extract.report,),
        parallel_edges_merged=cleaning.parallel_edges_merged,
        nodes_dropped_scc=cleaning.nodes_dropped_scc,
        edges_dropped_scc=cleaning.edges_dropped_scc,
        notes=("OpenStreetMap data © OpenStreetMap contributors (ODbL)", "no district boundaries"),
    )
    name = path.name.split(".")[0]
    return City(
        name=f"osm:{name}",
        roads=roads,
        stations=stations,
        hydrants=hydrants,
        cameras=cameras,
        facilities=facilities,
        districts=[],
        dongs=[],
        report=report,
    )
