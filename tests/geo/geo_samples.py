"""Named sample road networks for the geo tests (coordinates near Seoul City Hall)."""

from __future__ import annotations

import numpy as np

from geo.graph_build import GraphCleaning, build_road_graph
from geo.projection import KOREA_CRS
from geo.roads import RoadGraph

# A 100 m square A-B-C-D (counter-clockwise from south-west) with:
#  - A<->B, B<->C, C<->D two-way;  D->A one-way;  a diagonal A->C one-way, slow;
#  - a second, slower A->B link (parallel: must be merged to the faster one);
#  - a spur E reachable only from D (E cannot get back: dropped by the SCC restriction).
SQUARE_NODES = {
    "A": (126.9780, 37.5660),
    "B": (126.9791, 37.5660),
    "C": (126.9791, 37.5669),
    "D": (126.9780, 37.5669),
    "E": (126.9775, 37.5674),
}
# (from, to, length_m, time_s, street)
SQUARE_LINKS = (
    ("A", "B", 100.0, 10.0, "남대문로"),
    ("A", "B", 100.0, 25.0, "남대문로"),
    ("B", "A", 100.0, 10.0, "남대문로"),
    ("B", "C", 100.0, 12.0, "세종대로"),
    ("C", "B", 100.0, 12.0, "세종대로"),
    ("C", "D", 100.0, 8.0, "을지로"),
    ("D", "C", 100.0, 8.0, "을지로"),
    ("D", "A", 100.0, 9.0, "무교로"),
    ("A", "C", 141.0, 30.0, "대각로"),
    ("D", "E", 70.0, 7.0, "막다른길"),
)


def square_graph() -> tuple[RoadGraph, GraphCleaning]:
    """The named square sample as a RoadGraph."""
    ids = list(SQUARE_NODES)
    index = {n: i for i, n in enumerate(ids)}
    return build_road_graph(
        node_ids=ids,
        lon=np.array([SQUARE_NODES[n][0] for n in ids]),
        lat=np.array([SQUARE_NODES[n][1] for n in ids]),
        src=[index[a] for a, *_ in SQUARE_LINKS],
        dst=[index[b] for _, b, *_ in SQUARE_LINKS],
        length_m=[x[2] for x in SQUARE_LINKS],
        time_s=[x[3] for x in SQUARE_LINKS],
        streets=[x[4] for x in SQUARE_LINKS],
        crs=KOREA_CRS,
    )
