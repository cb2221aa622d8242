"""Road structures: the bridges, tunnels, underpasses and overpasses of a city's road network.

Seoul's ITS node-link data marks every link's structure in ``road_type`` (1 overpass 고가차도,
2 underpass 지하차도, 3 bridge 교량, 4 tunnel 터널; see shared/data/seoul/SOURCES.md). One
structure is the links of one kind and one road name that touch, or lie within
``JOIN_M`` of each other (the two carriageways of a divided bridge are one bridge). The
grid test city has no road types: it gets a small fixed set (see ``GRID_STRUCTURES``) so
that closures can be exercised without the real data. Other cities (OSM) have none yet.

Sensors: the data names no installed sensor, so each structure declares the gauges it is
assumed to carry (``SENSOR_PREFIXES``: ``WL-<structure id>`` for an underpass's water depth
and so on; ASSUMPTION: one gauge per relevant reading, as 행정안전부 asks of 침수위험
지하차도 since 2023), and a reading from any other sensor attaches to the nearest structure
of a matching kind within ``ATTACH_M`` of its links.

    >>> from geo import load_city
    >>> city = load_city(None)
    >>> [s.kind for s in structures(city)]
    ['bridge', 'overpass', 'tunnel', 'underpass']
    >>> structure_by_id(city, "ST-U-G686-G687").name
    '데모1지하차도'
"""

from __future__ import annotations

import csv
import itertools
import threading
import weakref
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from geo.city import City

__all__ = [
    "ATTACH_M",
    "DECLARED_ONLY",
    "GRID_STRUCTURES",
    "JOIN_M",
    "KINDS",
    "RIVER_GAUGE_M",
    "SENSOR_KINDS",
    "SENSOR_PREFIXES",
    "Structure",
    "attached_structure",
    "structure_by_id",
    "structure_edges",
    "structures",
    "underpasses_near",
]

KINDS = {"1": "overpass", "2": "underpass", "3": "bridge", "4": "tunnel"}
"""node-link ``road_type`` → structure kind (0 is an ordinary road)."""
KIND_LETTER = {"bridge": "B", "tunnel": "T", "underpass": "U", "overpass": "O"}
KIND_KO = {"bridge": "교량", "tunnel": "터널", "underpass": "지하차도", "overpass": "고가차도"}
NAMED_AS = {
    "bridge": ("교", "교량"),
    "tunnel": ("터널",),
    "underpass": ("지하차도",),
    "overpass": ("고가", "고가차도"),
}
"""Road names that already name the structure (서빙고지하차도, 한강대교) are kept as they are."""
JOIN_M = 60.0
"""Links of one road and kind whose ends lie this close are one structure (the carriageways
of a divided road are drawn apart by 10–40 m in the node-link data)."""
ATTACH_M = 80.0
"""A sensor reading attaches to a structure whose links pass within this distance of it.
ASSUMPTION: gauges are mounted on the structure (in the underpass, on the bridge deck, in
the bore); 80 m covers the data's positional error and an approach ramp, and no two
structures of one kind in Seoul's data are that close except carriageways of one road."""
SENSOR_KINDS = {
    "water_level": ("underpass",),
    "tunnel_co": ("tunnel",),
    "smoke_detector": ("tunnel",),
    "bridge_strain": ("bridge",),
    "wind": ("bridge",),
}
"""Which structures a sensor reading of each kind is about."""
DECLARED_ONLY = frozenset({"smoke_detector"})
"""Sensor kinds that attach only by a declared id: a smoke detector 80 m from a tunnel is as
likely in a building beside it, and a building's fire must not recommend closing the bore."""
RIVER_GAUGE_M = 1000.0
"""A river gauge (a water-level reading on no underpass) counts for the underpasses this
close to it: 행정안전부 asks underpasses to be closed when the river nearby may overflow
(2024). ASSUMPTION: 1 km, the distance at which Seoul's underpasses along a stream
(동부간선도로, 안양천로, 노들로) lie from its gauges; every gauge in reach counts, not only
the nearest, which closes no later."""
SENSOR_PREFIXES = {
    "underpass": ("WL",),
    "tunnel": ("CO", "SMK"),
    "bridge": ("STRAIN", "WIND"),
    "overpass": (),
}
"""The gauges each structure kind is assumed to carry, named ``<prefix>-<structure id>``."""

# The grid city's structures: (id suffix letter, name, kind, node-id path), each link both ways.
GRID_STRUCTURES = (
    ("데모대교", "bridge", ("G900", "G937", "G974")),
    ("데모1고가차도", "overpass", ("G1122", "G1123", "G1124")),
    ("데모터널", "tunnel", ("G230", "G231", "G232")),
    ("데모1지하차도", "underpass", ("G686", "G687", "G688")),
)


@dataclass(frozen=True, slots=True)
class Structure:
    """A bridge, tunnel, underpass or overpass: its links, where it is, its sensors."""

    id: str
    name: str
    kind: str
    link_ids: tuple[str, ...]
    length_m: float
    gu: str
    lon: float
    lat: float
    lines: tuple[tuple[tuple[float, float], ...], ...]
    sensor_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Link:
    link_id: str
    from_node: str
    to_node: str
    length_m: float
    kind: str
    road_name: str
    two_way: bool
    gu_code: str = ""


@dataclass(frozen=True)
class _Registry:
    items: tuple[Structure, ...]
    by_id: dict[str, Structure]
    ends: dict[str, tuple[str, str]]  # link id -> (from node id, to node id)
    by_sensor: dict[str, Structure]
    tree: shapely.STRtree | None  # metric lines of the structures, in items order


_registries: weakref.WeakKeyDictionary[City, _Registry] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def structures(city: City) -> tuple[Structure, ...]:
    """Every structure of a city, sorted by id (built once per city object)."""
    return _registry(city).items


def structure_by_id(city: City, structure_id: str) -> Structure | None:
    """A structure by id, None when the city has none by that id."""
    return _registry(city).by_id.get(structure_id)


def structure_edges(city: City, structure: Structure) -> NDArray[np.int64]:
    """The road graph's edges (indices in ``edge_arrays`` order) that a structure's links
    are, sorted; links the graph does not hold (cleaned away) have none."""
    reg = _registry(city)
    roads = city.roads
    out = []
    for link_id in structure.link_ids:
        ends = reg.ends.get(link_id)
        u = roads.node_index(ends[0]) if ends else None
        v = roads.node_index(ends[1]) if ends else None
        edge = roads.edge_index(u, v) if u is not None and v is not None else None
        if edge is not None:
            out.append(edge)
    return np.unique(np.asarray(out, np.int64))


def attached_structure(
    city: City, sensor_id: str, sensor_kind: str, lon: float, lat: float
) -> Structure | None:
    """The structure a reading is about: the one declaring the sensor, else the nearest of a
    matching kind within ATTACH_M; None for a reading of no structure."""
    reg = _registry(city)
    declared = reg.by_sensor.get(sensor_id)
    if declared is not None:
        return declared
    kinds = SENSOR_KINDS.get(sensor_kind, ())
    if not kinds or reg.tree is None or sensor_kind in DECLARED_ONLY:
        return None
    point = shapely.Point(*city.projection.point_to_metric(lon, lat))
    hits = reg.tree.query(point, predicate="dwithin", distance=ATTACH_M)
    near = [int(i) for i in hits if reg.items[int(i)].kind in kinds]
    if not near:
        return None
    lines = reg.tree.geometries  # each structure's metric lines, built once with the registry
    best = min(near, key=lambda i: (float(shapely.distance(lines[i], point)), reg.items[i].id))
    return reg.items[best]


def underpasses_near(
    city: City, lon: float, lat: float, within_m: float = RIVER_GAUGE_M
) -> tuple[Structure, ...]:
    """The underpasses whose links pass within ``within_m`` of a point (a river gauge), by id."""
    reg = _registry(city)
    if reg.tree is None:
        return ()
    point = shapely.Point(*city.projection.point_to_metric(lon, lat))
    hits = reg.tree.query(point, predicate="dwithin", distance=within_m)
    return tuple(
        sorted(
            (reg.items[int(i)] for i in hits if reg.items[int(i)].kind == "underpass"),
            key=lambda st: st.id,
        )
    )


def _metric_lines(city: City, structure: Structure) -> shapely.MultiLineString:
    parts = []
    for line in structure.lines:
        xy = np.asarray(line, float)
        x, y = city.projection.to_metric(xy[:, 0], xy[:, 1])
        parts.append(np.column_stack([x, y]))
    return shapely.multilinestrings([shapely.linestrings(p) for p in parts])


def _registry(city: City) -> _Registry:
    with _lock:
        reg = _registries.get(city)
        if reg is None:
            reg = _build(city)
            _registries[city] = reg
    return reg


def _build(city: City) -> _Registry:
    links = _links_of(city)
    groups = _group(city, links)
    items: list[Structure] = []
    ends: dict[str, tuple[str, str]] = {}
    for group in groups:
        items.append(_structure(city, group))
        ends.update((lk.link_id, (lk.from_node, lk.to_node)) for lk in group)
    items = _unique_names(sorted(items, key=lambda s: s.id))
    by_sensor = {sensor: s for s in items for sensor in s.sensor_ids}
    tree = shapely.STRtree([_metric_lines(city, s) for s in items]) if items else None
    return _Registry(tuple(items), {s.id: s for s in items}, ends, by_sensor, tree)


def _links_of(city: City) -> list[_Link]:
    """The structure links of a city: node-link rows with a road_type, or the grid's set."""
    if city.name == "seoul":
        path = Path(city.report.source) / "seoul_nodelink_links.csv"
        return _read_links(path) if path.is_file() else []
    if city.report.source == "builtin-demo":
        return _grid_links(city)
    return []


def _read_links(path: Path) -> list[_Link]:
    out = []
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            kind = KINDS.get((row.get("road_type") or "").strip())
            if kind is None:
                continue
            try:
                length_m = float(row.get("length_m") or 0.0)
            except ValueError:
                length_m = 0.0
            name = (row.get("road_name") or "").strip()
            out.append(
                _Link(
                    link_id=(row.get("link_id") or "").strip(),
                    from_node=(row.get("from_node") or "").strip(),
                    to_node=(row.get("to_node") or "").strip(),
                    length_m=length_m,
                    kind=kind,
                    road_name="" if name in ("-", "0") else name,
                    two_way=(row.get("reverse_link_exists") or "").strip() == "True",
                    gu_code=(row.get("gu_code") or "").strip(),
                )
            )
    return [lk for lk in out if lk.link_id and lk.from_node and lk.to_node]


def _grid_links(city: City) -> list[_Link]:
    roads = city.roads
    _, _, _, length = roads.edge_arrays()
    out = []
    for name, kind, path in GRID_STRUCTURES:
        for a, b in itertools.pairwise(path):
            for u_id, v_id in ((a, b), (b, a)):
                u, v = roads.node_index(u_id), roads.node_index(v_id)
                edge = roads.edge_index(u, v) if u is not None and v is not None else None
                if edge is None:
                    continue
                out.append(
                    _Link(f"{u_id}-{v_id}", u_id, v_id, float(length[edge]), kind, name, True)
                )
    return out


def _group(city: City, links: list[_Link]) -> list[list[_Link]]:
    """Links of one kind and road, joined where they share a node or their ends are near."""
    roads = city.roads
    lon_of: dict[str, tuple[float, float]] = {}
    for lk in links:
        for nid in (lk.from_node, lk.to_node):
            node = roads.node_index(nid)
            if node is not None:
                lon_of[nid] = roads.node_lonlat(node)
    usable = [lk for lk in links if lk.from_node in lon_of and lk.to_node in lon_of]
    parent = list(range(len(usable)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    by_road: dict[tuple[str, str], list[int]] = {}
    for i, lk in enumerate(usable):
        by_road.setdefault((lk.kind, lk.road_name), []).append(i)
    for members in by_road.values():
        points = [(i, nid) for i in members for nid in (usable[i].from_node, usable[i].to_node)]
        lonlat = np.array([lon_of[nid] for _, nid in points], float)
        x, y = city.projection.to_metric(lonlat[:, 0], lonlat[:, 1])
        tree = cKDTree(np.column_stack([x, y]))
        for a, b in tree.query_pairs(JOIN_M):
            ra, rb = find(points[a][0]), find(points[b][0])
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    groups: dict[int, list[_Link]] = {}
    for i, lk in enumerate(usable):
        groups.setdefault(find(i), []).append(lk)
    return list(groups.values())


def _structure(city: City, group: list[_Link]) -> Structure:
    roads = city.roads
    kind = group[0].kind
    first = min(group, key=lambda lk: lk.link_id)
    sid = f"ST-{KIND_LETTER[kind]}-{first.link_id}"
    lines = tuple(
        tuple(roads.node_lonlat(roads.node_index(n) or 0) for n in (lk.from_node, lk.to_node))
        for lk in sorted(group, key=lambda lk: lk.link_id)
    )
    mid = np.mean(np.array([p for line in lines for p in line], float), axis=0)
    lon, lat = float(mid[0]), float(mid[1])
    gu = _gu_of(city, group, lon, lat)
    # a two-way link's reverse is in the group too: count the road once, not per direction
    length_m = sum(lk.length_m / (2.0 if lk.two_way else 1.0) for lk in group)
    road = group[0].road_name
    name = road if road.endswith(NAMED_AS[kind]) else f"{road or '무명'} {KIND_KO[kind]}"
    if city.report.source != "builtin-demo" and gu:
        name = f"{name} ({gu})"
    return Structure(
        id=sid,
        name=name,
        kind=kind,
        link_ids=tuple(sorted(lk.link_id for lk in group)),
        length_m=round(length_m, 1),
        gu=gu,
        lon=round(lon, 6),
        lat=round(lat, 6),
        lines=lines,
        sensor_ids=tuple(f"{p}-{sid}" for p in SENSOR_PREFIXES[kind]),
    )


def _gu_of(city: City, group: list[_Link], lon: float, lat: float) -> str:
    """The gu the data assigns most of a structure's links to, else the gu at its middle
    (a bridge's middle may lie on the river, outside every gu outline)."""
    names = {d.code: d.name for d in city.districts}
    codes = Counter(names[lk.gu_code] for lk in group if lk.gu_code in names)
    if codes:
        return min(codes, key=lambda name: (-codes[name], name))
    district = city.district_at(lon, lat)
    if district is None:
        lonlats = [p for lk in group for p in _ends_lonlat(city, lk)]
        district = next((d for p in lonlats if (d := city.district_at(*p)) is not None), None)
    return district.name if district is not None else ""


def _ends_lonlat(city: City, link: _Link) -> list[tuple[float, float]]:
    nodes = (city.roads.node_index(n) for n in (link.from_node, link.to_node))
    return [city.roads.node_lonlat(n) for n in nodes if n is not None]


def _unique_names(items: list[Structure]) -> list[Structure]:
    """Structures sharing a name are told apart by a number, in id order."""
    seen: dict[str, int] = {}
    count = {s.name: 0 for s in items}
    for s in items:
        count[s.name] += 1
    out = []
    for s in items:
        if count[s.name] == 1:
            out.append(s)
            continue
        seen[s.name] = seen.get(s.name, 0) + 1
        out.append(
            Structure(
                s.id,
                f"{s.name} {seen[s.name]}",
                s.kind,
                s.link_ids,
                s.length_m,
                s.gu,
                s.lon,
                s.lat,
                s.lines,
                s.sensor_ids,
            )
        )
    return out
