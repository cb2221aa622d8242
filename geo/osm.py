"""Readers of OpenStreetMap extracts: .osm / .osm.gz XML (stdlib) and .osm.pbf (pyrosm)."""

from __future__ import annotations

import contextlib
import gzip
import itertools
import json
import math
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np

from geo.errors import CityDataError
from geo.graph_build import RawNetwork
from geo.model import FileReport
from geo.osm_tags import drivable, maxspeed_kph, poi_kind, travel_directions
from geo.projection import metric_crs_for, projection_for
from geo.speeds import SpeedModel

__all__ = ["OsmExtract", "OsmPoi", "read_osm"]


@dataclass(frozen=True)
class OsmPoi:
    """A point of interest for a city layer (kind from osm_tags.poi_kind)."""

    osm_id: str
    kind: str
    name: str
    lon: float
    lat: float
    tags: Mapping[str, str] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class OsmExtract:
    """The drive network and the POIs of one OSM file, with what was skipped."""

    network: RawNetwork
    pois: tuple[OsmPoi, ...]
    report: FileReport
    crs: str


@dataclass
class _Builder:
    """Accumulates way segments into a RawNetwork."""

    speed_model: SpeedModel
    coords: dict[str, tuple[float, float]]
    src: list[str] = field(default_factory=list)
    dst: list[str] = field(default_factory=list)
    kph: list[float] = field(default_factory=list)
    streets: list[str] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    ways_used: int = 0

    def add_way(self, refs: list[str], tags: Mapping[str, str]) -> None:
        forward, backward = travel_directions(tags)
        legal = self.speed_model.legal_kph_for_highway(
            maxspeed_kph(tags.get("maxspeed")), tags.get("highway")
        )
        name = tags.get("name", "")
        used = False
        for a, b in itertools.pairwise(refs):
            if a not in self.coords or b not in self.coords:
                self.skipped["segment node missing from extract"] += 1
                continue
            for ok, (u, v) in ((forward, (a, b)), (backward, (b, a))):
                if ok:
                    self.src.append(u)
                    self.dst.append(v)
                    self.kph.append(legal)
                    self.streets.append(name)
                    used = True
        self.ways_used += int(used)

    def network(self) -> tuple[RawNetwork, str]:
        ids = sorted(set(self.src) | set(self.dst))
        if not ids:
            raise CityDataError("no drivable road segment in the OSM extract")
        index = {nid: i for i, nid in enumerate(ids)}
        lonlat = np.array([self.coords[n] for n in ids], float)
        crs = metric_crs_for(float(np.median(lonlat[:, 0])), float(np.median(lonlat[:, 1])))
        x, y = projection_for(crs).to_metric(lonlat[:, 0], lonlat[:, 1])
        src = np.array([index[n] for n in self.src], np.int64)
        dst = np.array([index[n] for n in self.dst], np.int64)
        raw = RawNetwork(
            node_ids=ids,
            lon=lonlat[:, 0],
            lat=lonlat[:, 1],
            src=src,
            dst=dst,
            length_m=np.hypot(x[dst] - x[src], y[dst] - y[src]),
            legal_kph=np.array(self.kph, float),
            streets=self.streets,
        )
        return raw, crs


def _open(path: Path) -> IO[bytes]:
    if path.suffix == ".gz":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return path.open("rb")


def _read_xml(path: Path, speed_model: SpeedModel) -> OsmExtract:
    coords: dict[str, tuple[float, float]] = {}
    ways: list[tuple[list[str], dict[str, str]]] = []
    pois: list[OsmPoi] = []
    poi_ways: list[tuple[str, str, list[str], dict[str, str]]] = []
    skipped: Counter[str] = Counter()
    n_ways = 0
    with _open(path) as fh:
        for _, elem in ET.iterparse(fh, events=("end",)):
            if elem.tag == "node":
                try:
                    lon, lat = float(elem.attrib["lon"]), float(elem.attrib["lat"])
                except (KeyError, ValueError):
                    skipped["node without coordinates"] += 1
                    elem.clear()
                    continue
                nid = elem.attrib.get("id", "")
                coords[nid] = (lon, lat)
                tags = {t.attrib["k"]: t.attrib.get("v", "") for t in elem.iter("tag")}
                kind = poi_kind(tags) if tags else None
                if kind:
                    pois.append(OsmPoi(f"node/{nid}", kind, tags.get("name", ""), lon, lat, tags))
                elem.clear()
            elif elem.tag == "way":
                n_ways += 1
                tags = {t.attrib["k"]: t.attrib.get("v", "") for t in elem.iter("tag")}
                refs = [nd.attrib["ref"] for nd in elem.iter("nd")]
                if drivable(tags):
                    ways.append((refs, tags))
                elif (kind := poi_kind(tags)) is not None:
                    poi_ways.append((elem.attrib.get("id", ""), kind, refs, tags))
                elem.clear()
            elif elem.tag == "relation":
                elem.clear()
    builder = _Builder(speed_model, coords)
    for refs, tags in ways:
        builder.add_way(refs, tags)
    for wid, kind, refs, tags in poi_ways:
        pts = [coords[r] for r in refs if r in coords]
        if pts:  # a building or area: its vertex centroid is close enough for a map marker
            lon = sum(p[0] for p in pts) / len(pts)
            lat = sum(p[1] for p in pts) / len(pts)
            pois.append(OsmPoi(f"way/{wid}", kind, tags.get("name", ""), lon, lat, tags))
    raw, crs = builder.network()
    skipped.update(builder.skipped)
    skipped["way not drivable"] = n_ways - len(ways)
    report = FileReport(path.name, n_ways, builder.ways_used, tuple(sorted(skipped.items())))
    return OsmExtract(raw, tuple(pois), report, crs)


def _row_tags(row: Mapping[str, Any], columns: Iterable[str]) -> dict[str, str]:
    """Tags of a pyrosm row: its tag columns plus the JSON 'tags' column."""
    tags: dict[str, str] = {}
    extra = row.get("tags")
    if isinstance(extra, str) and extra:
        with contextlib.suppress(ValueError, AttributeError):
            tags.update({str(k): str(v) for k, v in json.loads(extra).items()})
    elif isinstance(extra, dict):
        tags.update({str(k): str(v) for k, v in extra.items()})
    for col in columns:
        value = row.get(col)
        if isinstance(value, str) and value:
            tags[col] = value
    return tags


def _read_pbf(path: Path, speed_model: SpeedModel) -> OsmExtract:
    import pyrosm

    osm = pyrosm.OSM(str(path))
    got = osm.get_network(network_type="driving", nodes=True)
    if got is None:
        raise CityDataError(f"no drivable network in {path}")
    nodes, edges = got
    coords = {
        str(int(i)): (float(lo), float(la))
        for i, lo, la in zip(nodes["id"], nodes["lon"], nodes["lat"], strict=True)
    }
    builder = _Builder(speed_model, coords)
    tag_cols = [
        c
        for c in (
            "highway",
            "oneway",
            "maxspeed",
            "name",
            "access",
            "junction",
            "service",
            "area",
            "motor_vehicle",
        )
        if c in edges.columns
    ]
    n_ways = 0
    skipped: Counter[str] = Counter()
    for row in edges[[*tag_cols, "tags", "u", "v"]].to_dict("records"):
        n_ways += 1
        tags = _row_tags(row, tag_cols)
        if not drivable(tags):
            skipped["segment not drivable"] += 1
            continue
        builder.add_way([str(int(row["u"])), str(int(row["v"]))], tags)
    pois: list[OsmPoi] = []
    found = osm.get_pois(
        custom_filter={
            "amenity": ["fire_station", "hospital", "school", "kindergarten", "nursing_home"],
            "emergency": ["fire_hydrant", "assembly_point", "suction_point", "water_tank"],
            "man_made": ["surveillance"],
        }
    )
    if found is not None:
        cols = [
            c
            for c in ("amenity", "emergency", "man_made", "name", "social_facility")
            if c in found.columns
        ]
        for row in found.to_dict("records"):
            tags = _row_tags(row, cols)
            kind = poi_kind(tags)
            geom = row.get("geometry")
            if kind is None or geom is None or geom.is_empty:
                continue
            c = geom.centroid
            if math.isfinite(c.x) and math.isfinite(c.y):
                pois.append(
                    OsmPoi(
                        f"{row.get('osm_type', 'node')}/{row.get('id')}",
                        kind,
                        tags.get("name", ""),
                        float(c.x),
                        float(c.y),
                        tags,
                    )
                )
    raw, crs = builder.network()
    skipped.update(builder.skipped)
    report = FileReport(
        path.name, n_ways, n_ways - sum(skipped.values()), tuple(sorted(skipped.items()))
    )
    return OsmExtract(raw, tuple(pois), report, crs)


def read_osm(path: Path, speed_model: SpeedModel | None = None) -> OsmExtract:
    """The drive network and POIs of an .osm, .osm.gz or .osm.pbf file."""
    model = speed_model or SpeedModel()
    if not path.is_file():
        raise CityDataError(f"OSM file not found: {path}")
    if path.name.endswith(".pbf"):
        return _read_pbf(path, model)
    if path.name.endswith((".osm", ".osm.gz", ".xml", ".xml.gz")):
        try:
            return _read_xml(path, model)
        except ET.ParseError as err:
            raise CityDataError(f"not OSM XML: {path}: {err}") from err
    raise CityDataError(f"unknown OSM file type: {path.name}")
