"""load_city: the Seoul city from a data directory, else the built-in demo city (cached)."""

from __future__ import annotations

import threading
from pathlib import Path

from geo.builtin import builtin_city
from geo.city import City
from geo.osm_city import is_osm_file, load_osm_city
from geo.speeds import SpeedModel

__all__ = ["SEOUL_MARKER_FILES", "clear_city_cache", "has_seoul_data", "load_city"]

SEOUL_MARKER_FILES = ("seoul_nodelink_nodes.csv", "seoul_nodelink_links.csv")

_cache: dict[tuple[str, SpeedModel], City] = {}
_lock = threading.Lock()


def has_seoul_data(data_dir: Path | None) -> bool:
    """Whether a directory holds the Seoul node-link files."""
    return data_dir is not None and all((data_dir / f).is_file() for f in SEOUL_MARKER_FILES)


def load_city(data_dir: Path | None = None, *, speed_model: SpeedModel | None = None) -> City:
    """The city of a data directory, cached per process.

    A directory with the Seoul node-link files gives Seoul; an .osm/.osm.gz/.osm.pbf file
    gives a city from OpenStreetMap; None or anything else gives the built-in demo city.
    """
    model = speed_model or SpeedModel()
    path = Path(data_dir) if data_dir is not None else None
    seoul = has_seoul_data(path)
    osm = path is not None and is_osm_file(path)
    key = (str(path.resolve()) if path is not None and (seoul or osm) else "<builtin>", model)
    with _lock:
        city = _cache.get(key)
        if city is None:
            if path is not None and seoul:
                from geo.seoul import load_seoul

                city = load_seoul(path, speed_model=model)
            elif path is not None and osm:
                city = load_osm_city(path, speed_model=model)
            else:
                city = builtin_city(model)
            _cache[key] = city
    return city


def clear_city_cache() -> None:
    """Forget cached cities (tests)."""
    with _lock:
        _cache.clear()
