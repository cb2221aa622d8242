"""A generated grid city road network: deterministic, with arterials and one-way streets."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from geo.graph_build import GraphCleaning, build_road_graph
from geo.projection import KOREA_CRS, projection_for
from geo.roads import RoadGraph
from geo.speeds import SpeedModel

__all__ = ["SEOUL_CITY_HALL", "grid_road_graph"]

SEOUL_CITY_HALL = (126.9780, 37.5665)
ARTERIAL_EVERY = 6  # every 6th row and column is a 50 km/h arterial
ONE_WAY_ROW = 3  # rows/cols at offset 3 inside each block are one-way locals
LOCAL_REMOVED_SHARE = 0.04


@dataclass(frozen=True)
class _Links:
    src: NDArray[np.int64]
    dst: NDArray[np.int64]
    legal_kph: NDArray[np.float64]
    streets: list[str]


def _line_links(rows: int, cols: int, horizontal: bool, rng: np.random.Generator) -> _Links:
    """Links along rows (horizontal) or columns of the grid, both directions unless one-way."""
    lines, steps = (rows, cols) if horizontal else (cols, rows)
    line = np.repeat(np.arange(lines), steps - 1)
    pos = np.tile(np.arange(steps - 1), lines)
    if horizontal:
        a, b = line * cols + pos, line * cols + pos + 1
    else:
        a, b = pos * cols + line, (pos + 1) * cols + line
    arterial = line % ARTERIAL_EVERY == 0
    one_way = line % ARTERIAL_EVERY == ONE_WAY_ROW
    removed = (~arterial) & (rng.random(len(line)) < LOCAL_REMOVED_SHARE)
    forward_dir = (line // ARTERIAL_EVERY) % 2 == 0  # one-way direction alternates
    kph = np.where(arterial, 50.0, 30.0)
    keep = ~removed
    fwd = keep & (~one_way | forward_dir)
    bwd = keep & (~one_way | ~forward_dir)
    src = np.concatenate([a[fwd], b[bwd]])
    dst = np.concatenate([b[fwd], a[bwd]])
    kind = "동서" if horizontal else "남북"
    names = np.where(
        arterial,
        np.char.add(f"{kind}대로", (line // ARTERIAL_EVERY + 1).astype(str)),
        np.char.add(np.char.add(f"{kind}로", line.astype(str)), "길"),
    )
    return _Links(
        src=src,
        dst=dst,
        legal_kph=np.concatenate([kph[fwd], kph[bwd]]),
        streets=[str(s) for s in np.concatenate([names[fwd], names[bwd]])],
    )


def grid_road_graph(
    rows: int,
    cols: int,
    *,
    spacing_m: float = 120.0,
    center: tuple[float, float] = SEOUL_CITY_HALL,
    seed: int = 7,
    speed_model: SpeedModel | None = None,
) -> tuple[RoadGraph, GraphCleaning]:
    """A rows x cols grid road graph centred on a (lon, lat), same for the same arguments."""
    model = speed_model or SpeedModel()
    rng = np.random.default_rng(seed)
    proj = projection_for(KOREA_CRS)
    cx, cy = proj.point_to_metric(*center)
    r, c = np.divmod(np.arange(rows * cols), cols)
    jitter = rng.uniform(-0.12, 0.12, size=(2, rows * cols)) * spacing_m
    x = cx + (c - (cols - 1) / 2) * spacing_m + jitter[0]
    y = cy + (r - (rows - 1) / 2) * spacing_m + jitter[1]
    lon, lat = proj.to_wgs84(x, y)
    h = _line_links(rows, cols, True, rng)
    v = _line_links(rows, cols, False, rng)
    src = np.concatenate([h.src, v.src])
    dst = np.concatenate([h.dst, v.dst])
    legal = np.concatenate([h.legal_kph, v.legal_kph])
    curve = 1.0 + rng.uniform(0.0, 0.15, size=len(src))  # streets are not ruler-straight
    length_m = np.hypot(x[dst] - x[src], y[dst] - y[src]) * curve
    kph = np.clip(legal * model.emergency_factor, model.min_kph, model.max_kph)
    return build_road_graph(
        node_ids=[f"G{i}" for i in range(rows * cols)],
        lon=lon,
        lat=lat,
        src=src,
        dst=dst,
        length_m=length_m,
        time_s=length_m / (kph / 3.6),
        streets=h.streets + v.streets,
        crs=KOREA_CRS,
    )
