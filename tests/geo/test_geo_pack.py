"""The Seoul city pack: shipped in the package, unpacked once per pack, refused when damaged."""

from __future__ import annotations

import fnmatch
import hashlib
import lzma
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from geo import CityDataError, load_city
from geo.load import clear_city_cache, has_seoul_data
from geo.pack import BUILTIN_SEOUL_PACK, is_city_pack, read_pack, unpack
from geo.seoul import SEOUL_FILES
from tests.geo.geo_seoul_data import SEOUL_DIR, needs_seoul

REPO = Path(__file__).resolve().parents[2]


def small_pack(tmp_path: Path) -> Path:
    """A copy of the built-in pack that a test may damage."""
    dest = tmp_path / "pack"
    shutil.copytree(BUILTIN_SEOUL_PACK, dest)
    return dest


def test_the_pack_holds_every_file_the_seoul_loader_reads_with_its_sources() -> None:
    pack = read_pack(BUILTIN_SEOUL_PACK)
    assert pack.city == "seoul"
    assert set(pack.files) == set(SEOUL_FILES.values())
    assert (BUILTIN_SEOUL_PACK / "SOURCES.md").is_file()
    assert (BUILTIN_SEOUL_PACK / "LICENCE.md").is_file()
    size = sum(p.stat().st_size for p in BUILTIN_SEOUL_PACK.iterdir())
    assert size < 5_000_000, size  # "a few MB" at most: it lives in every clone


def test_the_pack_loads_as_seoul_with_every_gu_and_its_layers(tmp_path: Path) -> None:
    """How long the load takes, cold and warm, is measured by ``python -m bench.city_load``."""
    clear_city_cache()
    city = load_city(BUILTIN_SEOUL_PACK)
    assert city.name == "seoul"
    assert len(city.districts) == 25
    assert len(city.dongs) >= 400
    assert len(city.stations) >= 170
    assert city.cameras and city.hydrants and city.facilities
    assert city.roads.node_count > 7000


@needs_seoul
def test_the_pack_gives_the_same_city_as_the_reference_data() -> None:
    packed = load_city(BUILTIN_SEOUL_PACK)
    direct = load_city(SEOUL_DIR)
    assert packed.roads.node_count == direct.roads.node_count
    assert [s.id for s in packed.stations] == [s.id for s in direct.stations]
    assert [c.id for c in packed.cameras] == [c.id for c in direct.cameras]
    assert [d.code for d in packed.districts] == [d.code for d in direct.districts]
    for name, sha in read_pack(BUILTIN_SEOUL_PACK).files.items():
        assert hashlib.sha256((SEOUL_DIR / name).read_bytes()).hexdigest() == sha, name


def test_an_unpacked_copy_is_reused_and_a_changed_pack_gets_its_own(tmp_path: Path) -> None:
    pack_dir = small_pack(tmp_path)
    cache = tmp_path / "cache"
    first = unpack(read_pack(pack_dir), cache)
    assert has_seoul_data(first)
    assert unpack(read_pack(pack_dir), cache) == first
    name = "seoul_emergency_rooms.csv"
    data = lzma.decompress((pack_dir / f"{name}.xz").read_bytes())
    (pack_dir / f"{name}.xz").write_bytes(lzma.compress(data, preset=1))  # another pack file
    second = unpack(read_pack(pack_dir), cache)
    assert second != first
    assert (second / name).read_bytes() == data


def test_an_interrupted_unpack_is_never_trusted(tmp_path: Path) -> None:
    pack = read_pack(small_pack(tmp_path))
    cache = tmp_path / "cache"
    target = unpack(pack, cache)
    (target / ".complete").unlink()
    (target / "seoul_nodelink_nodes.csv").write_text("node_id,lon,lat\n")  # half-written
    again = unpack(pack, cache)
    assert again == target
    assert (again / "seoul_nodelink_nodes.csv").stat().st_size > 100_000


def test_a_damaged_pack_file_is_refused_not_loaded(tmp_path: Path) -> None:
    pack_dir = small_pack(tmp_path)
    name = "seoul_fire_stations_119_centers.csv"
    rows = lzma.decompress((pack_dir / f"{name}.xz").read_bytes()).splitlines(keepends=True)
    (pack_dir / f"{name}.xz").write_bytes(lzma.compress(b"".join(rows[:-1])))  # one row lost
    with pytest.raises(CityDataError, match="checksum"):
        unpack(read_pack(pack_dir), tmp_path / "cache")
    (pack_dir / f"{name}.xz").write_bytes(b"not xz at all")
    with pytest.raises(CityDataError, match="corrupt"):
        unpack(read_pack(pack_dir), tmp_path / "cache")
    (pack_dir / f"{name}.xz").unlink()
    with pytest.raises(CityDataError, match="lacks"):
        read_pack(pack_dir)


def test_a_directory_without_a_manifest_is_not_a_pack(tmp_path: Path) -> None:
    assert is_city_pack(BUILTIN_SEOUL_PACK)
    assert not is_city_pack(tmp_path)
    assert not is_city_pack(None)
    (tmp_path / "pack.json").write_text("{}")
    with pytest.raises(CityDataError, match="manifest"):
        read_pack(tmp_path)


def test_the_package_data_globs_ship_every_pack_file() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    globs = config["tool"]["setuptools"]["package-data"]["geo"]
    for path in BUILTIN_SEOUL_PACK.iterdir():
        rel = path.relative_to(REPO / "geo").as_posix()
        assert any(fnmatch.fnmatch(rel, g) for g in globs), rel


def test_processes_starting_together_share_one_unpacked_copy(tmp_path: Path) -> None:
    pack_dir = small_pack(tmp_path)
    cache = tmp_path / "cache"
    probe = (
        "import sys; from pathlib import Path; from geo.pack import read_pack, unpack; "
        "print(unpack(read_pack(Path(sys.argv[1])), Path(sys.argv[2])))"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", probe, str(pack_dir), str(cache)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=REPO,
        )
        for _ in range(4)
    ]
    outs = {p.communicate(timeout=60)[0].strip() for p in procs}
    assert all(p.returncode == 0 for p in procs)
    assert len(outs) == 1
    (target,) = outs
    assert has_seoul_data(Path(target)) and (Path(target) / ".complete").is_file()
    assert [p.name for p in cache.iterdir()] == [Path(target).name]  # no staging left behind
