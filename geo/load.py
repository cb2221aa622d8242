"""load_city: Seoul from a data directory or a city pack, a city from OSM, else the grid."""

from __future__ import annotations

import threading
from pathlib import Path

from geo.builtin import builtin_city
from geo.city import City
from geo.osm_city import is_osm_file, load_osm_city
from geo.pack import is_city_pack, read_pack, unpack
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

    A directory with the Seoul node-link files gives Seoul; a city-pack directory (see
    geo.pack) gives the city it packs; an .osm/.osm.gz/.osm.pbf file gives a city from
    OpenStreetMap; None or anything else gives the generated grid city (a test fixture).
    """
    model = speed_model or SpeedModel()
    path = Path(data_dir) if data_dir is not None else None
    seoul = has_seoul_data(path)
    packed = not seoul and is_city_pack(path)
    osm = path is not None and is_osm_file(path)
    real = path is not None and (seoul or packed or osm)
    key = (str(path.resolve()) if real and path is not None else "<builtin>", model)
    with _lock:
        city = _cache.get(key)
        if city is None:
            if path is not None and (seoul or packed):
                from geo.seoul import load_seoul

                city = load_seoul(unpack(read_pack(path)) if packed else path, speed_model=model)
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
