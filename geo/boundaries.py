"""Reader of district boundaries from GeoJSON FeatureCollections (WGS84)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import shapely
from shapely.geometry import shape

from geo.model import District, FileReport

__all__ = ["read_districts"]


def read_districts(
    path: Path, *, level: str, code_key: str, name_key: str
) -> tuple[list[District], FileReport]:
    """Districts of one level from a GeoJSON file; invalid polygons are repaired or skipped."""
    data = json.loads(path.read_text(encoding="utf-8"))
    features = data.get("features", []) if isinstance(data, dict) else []
    out: list[District] = []
    skipped: Counter[str] = Counter()
    seen: set[str] = set()
    for feature in features:
        props = feature.get("properties") or {}
        code, name = str(props.get(code_key) or ""), str(props.get(name_key) or "")
        try:
            geom = shape(feature["geometry"])
        except (KeyError, TypeError, ValueError, AttributeError):
            skipped["missing or unreadable geometry"] += 1
            continue
        if not code:
            skipped[f"missing {code_key}"] += 1
            continue
        if code in seen:
            skipped[f"duplicate {code_key}"] += 1
            continue
        if geom.geom_type not in ("Polygon", "MultiPolygon") or geom.is_empty:
            skipped["not a polygon"] += 1
            continue
        if not geom.is_valid:
            geom = shapely.make_valid(geom)
        seen.add(code)
        out.append(District(code, name, level, geom))
    return out, FileReport(path.name, len(features), len(out), tuple(sorted(skipped.items())))
