"""Draw a Seoul route (and its way back) on the real node-link network, as a PNG.

    python -m bench.route_image [--data-dir DIR] [--out docs/images/route_seoul.png]

Docs only: needs matplotlib (and koreanize-matplotlib for Korean street names), which are
not runtime dependencies of GoldenTime.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

from geo import City, Route, load_city
from geo.load import has_seoul_data
from stack.settings import DEFAULT_SEOUL_DATA

# Two Seoul addresses: 서울특별시청 (중구 세종대로 110) and 강남역 (강남구 강남대로 396).
FROM = ("서울시청 (세종대로 110)", 126.9780, 37.5665)
TO = ("강남역 (강남대로 396)", 127.0276, 37.4979)
REPO = Path(__file__).resolve().parents[1]


def _route_xy(city: City, route: Route) -> tuple[np.ndarray, np.ndarray]:
    coords = np.array(route.geometry["coordinates"])
    return coords[:, 0], coords[:, 1]


def _summary(route: Route) -> str:
    return f"{route.eta_s / 60:.1f} min, {route.distance_m / 1000:.1f} km"


def draw(city: City, out: Path) -> str:
    """Draw both directions of the route; returns a one-line summary."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with contextlib.suppress(ImportError):  # Korean glyphs for street names
        import koreanize_matplotlib  # type: ignore[import-untyped]  # noqa: F401
    roads = city.roads
    a = roads.snap(FROM[1], FROM[2])
    b = roads.snap(TO[1], TO[2])
    there, back = roads.route(a.node, b.node), roads.route(b.node, a.node)
    if there is None or back is None:
        raise SystemExit("no route")
    src, dst, _, _ = roads.edge_arrays()
    lon, lat = roads.node_lonlats()
    pairs = set(zip(src.tolist(), dst.tolist(), strict=True))
    one_way = np.array(
        [(v, u) not in pairs for u, v in zip(src.tolist(), dst.tolist(), strict=True)]
    )
    xs = np.concatenate([lon[list(there.nodes)], lon[list(back.nodes)]])
    ys = np.concatenate([lat[list(there.nodes)], lat[list(back.nodes)]])
    pad = 0.006
    box = (xs.min() - pad, xs.max() + pad, ys.min() - pad, ys.max() + pad)
    fig = plt.figure(figsize=(14, 10), dpi=110)
    grid = fig.add_gridspec(2, 2, width_ratios=[2.4, 1.25], height_ratios=[1.1, 1])
    ax = fig.add_subplot(grid[:, 0])
    zoom = fig.add_subplot(grid[0, 1])
    side = fig.add_subplot(grid[1, 1])
    from matplotlib.collections import LineCollection

    def draw_map(axes: Any, view: tuple[float, float, float, float], arrows: int) -> None:
        seen = (
            (lon[src] > view[0])
            & (lon[src] < view[1])
            & (lat[src] > view[2])
            & (lat[src] < view[3])
        )
        for d in city.districts:
            for g in getattr(d.geometry, "geoms", [d.geometry]):
                gx, gy = g.exterior.xy
                axes.plot(gx, gy, color="#c9c9c9", lw=0.8, zorder=1)
        for mask, color, lw, label in (
            (seen & ~one_way, "#b0b0b0", 0.6, "two-way link"),
            (seen & one_way, "#f28e2b", 0.9, "one-way link (no reverse link)"),
        ):
            ends = [
                np.column_stack([lon[src[mask]], lat[src[mask]]]),
                np.column_stack([lon[dst[mask]], lat[dst[mask]]]),
            ]
            segs = list(np.stack(ends, axis=1))
            axes.add_collection(
                LineCollection(segs, colors=color, linewidths=lw, zorder=2, label=label)
            )
        for route, color, label in (
            (there, "#1f5fbf", f"{FROM[0]} -> {TO[0]}: {_summary(there)}"),
            (back, "#c0392b", f"{TO[0]} -> {FROM[0]}: {_summary(back)}"),
        ):
            rx, ry = _route_xy(city, route)
            axes.plot(rx, ry, color=color, lw=2.6, alpha=0.8, zorder=4, label=label)
            step = max(1, len(rx) // arrows)
            for i in range(0, len(rx) - 1, step):
                axes.annotate(
                    "",
                    xy=(rx[i + 1], ry[i + 1]),
                    xytext=(rx[i], ry[i]),
                    arrowprops={"arrowstyle": "-|>", "color": color, "lw": 1.4},
                    zorder=5,
                )
        for name, x, y, marker in ((FROM[0], FROM[1], FROM[2], "o"), (TO[0], TO[1], TO[2], "s")):
            axes.plot([x], [y], marker=marker, color="black", ms=9, zorder=6)
            axes.annotate(
                name, (x, y), xytext=(6, 6), textcoords="offset points", fontsize=9, zorder=6
            )
        axes.set_xlim(view[0], view[1])
        axes.set_ylim(view[2], view[3])
        axes.set_aspect(1 / np.cos(np.radians(37.55)))

    draw_map(ax, box, 14)
    near = 0.008  # ~700 m around City Hall, where the two directions part
    draw_map(zoom, (FROM[1] - near, FROM[1] + near * 1.4, FROM[2] - near, FROM[2] + near * 0.5), 60)
    zoom.set_title("zoom: around 서울시청 (one-way links in orange)", fontsize=10)
    zoom.tick_params(labelsize=7)
    zoom.ticklabel_format(useOffset=False)
    ax.ticklabel_format(useOffset=False)
    ax.set_title("GoldenTime geo: fastest emergency-vehicle route on the ITS node-link network")
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    ax.legend(loc="lower left", fontsize=9)
    side.axis("off")
    lines = [f"{FROM[0]} -> {TO[0]}"]
    lines += [
        f"  {s.street or '(이름 없음)'}  {s.distance_m / 1000:.2f} km  {s.eta_s / 60:.1f} min"
        for s in there.steps
    ]
    lines += ["", f"{TO[0]} -> {FROM[0]}"]
    lines += [
        f"  {s.street or '(이름 없음)'}  {s.distance_m / 1000:.2f} km  {s.eta_s / 60:.1f} min"
        for s in back.steps
    ]
    side.text(0, 1, "\n".join(lines[:40]), va="top", fontsize=9, linespacing=1.5)
    side.set_title("steps (speed model: 0.8 x legal limit)", fontsize=10, loc="left")
    fig.text(
        0.01,
        0.005,
        "Road data: 국가교통정보센터 ITS 표준노드링크 (Seoul subset); "
        "boundaries: southkorea/seoul-maps. "
        "Links drawn straight between nodes (the data has no link shapes).",
        fontsize=8,
        color="#555555",
    )
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    plt.close(fig)
    shared = len(set(there.nodes) & set(back.nodes))
    return (
        f"there {there.eta_s:.0f} s {there.distance_m:.0f} m {len(there.nodes)} nodes; "
        f"back {back.eta_s:.0f} s {back.distance_m:.0f} m {len(back.nodes)} nodes; "
        f"{shared} nodes shared; snaps {a.distance_m:.0f} m / {b.distance_m:.0f} m"
    )


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = os.environ.get("GT_DATA_DIR", str(DEFAULT_SEOUL_DATA))
    parser.add_argument("--data-dir", type=Path, default=Path(default))
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "images" / "route_seoul.png")
    args = parser.parse_args(argv)
    if not has_seoul_data(args.data_dir):
        print(f"Seoul data not found in {args.data_dir}", file=sys.stderr)
        return 2
    print(draw(load_city(args.data_dir), args.out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
