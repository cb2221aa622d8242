"""City packs: a city's data files, xz-compressed, shipped inside the package.

A pack is a directory holding ``pack.json`` (the city's name and, for each data file, the
SHA-256 and size of its uncompressed bytes) and one ``<file>.xz`` per data file. It is
unpacked once into a cache directory named after the pack's own hash, so a changed pack
never reuses a stale copy, and a copy that does not match the manifest is refused.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import lzma
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from geo.errors import CityDataError

__all__ = ["BUILTIN_SEOUL_PACK", "CityPack", "is_city_pack", "read_pack", "unpack"]

BUILTIN_SEOUL_PACK = Path(__file__).resolve().parent / "data" / "seoul"
"""Seoul, as shipped with GoldenTime (sources and licences in its SOURCES.md and LICENCE.md)."""

MANIFEST = "pack.json"
_COMPLETE = ".complete"


@dataclass(frozen=True, slots=True)
class CityPack:
    """A city pack on disk: its directory, city name, and files with their checksums."""

    path: Path
    city: str
    files: dict[str, str]  # uncompressed file name → SHA-256 of its bytes

    def digest(self) -> str:
        """SHA-256 over the manifest and every compressed file (names the cache entry)."""
        h = hashlib.sha256((self.path / MANIFEST).read_bytes())
        for name in sorted(self.files):
            h.update((self.path / f"{name}.xz").read_bytes())
        return h.hexdigest()


def is_city_pack(path: Path | None) -> bool:
    """Whether ``path`` is a city-pack directory."""
    return path is not None and (path / MANIFEST).is_file()


def read_pack(path: Path) -> CityPack:
    """The pack in ``path`` (raises CityDataError when its manifest or a file is missing)."""
    try:
        manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
        files = {str(n): str(meta["sha256"]) for n, meta in manifest["files"].items()}
        city = str(manifest["city"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise CityDataError(f"{path / MANIFEST}: not a city-pack manifest ({exc})") from None
    missing = [n for n in files if not (path / f"{n}.xz").is_file()]
    if missing:
        raise CityDataError(f"city pack {path} lacks {', '.join(sorted(missing))}")
    return CityPack(path, city, files)


def default_cache_root() -> Path:
    """Where unpacked cities are kept: the user's cache directory, else the temp directory."""
    home_cache = Path.home() / ".cache" / "goldentime" / "cities"
    try:
        home_cache.mkdir(parents=True, exist_ok=True)
        if os.access(home_cache, os.W_OK):
            return home_cache
    except OSError:
        pass
    return Path(tempfile.gettempdir()) / f"goldentime-cities-{os.getuid()}"


def unpack(pack: CityPack, cache_root: Path | None = None) -> Path:
    """A directory holding the pack's files uncompressed (made once, reused while valid)."""
    root = cache_root or default_cache_root()
    root.mkdir(parents=True, exist_ok=True)
    target = root / f"{pack.city}-{pack.digest()[:16]}"
    if (target / _COMPLETE).is_file():
        return target
    if target.exists() and not (target / _COMPLETE).is_file():
        # not made by unpack (which renames a complete copy into place): never trusted;
        # moved aside first, so a complete copy another process renames in is never removed
        aside = Path(tempfile.mkdtemp(prefix=".stale-", dir=root))
        with contextlib.suppress(OSError):
            target.rename(aside / target.name)
        shutil.rmtree(aside, ignore_errors=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=root))
    try:
        for name, sha256 in pack.files.items():
            try:
                data = lzma.decompress((pack.path / f"{name}.xz").read_bytes())
            except lzma.LZMAError as exc:
                raise CityDataError(f"{pack.path / name}.xz is corrupt ({exc})") from None
            if hashlib.sha256(data).hexdigest() != sha256:
                raise CityDataError(f"city pack {pack.path}: {name} does not match its checksum")
            (staging / name).write_bytes(data)
        (staging / _COMPLETE).write_text(pack.digest() + "\n")
        try:
            staging.rename(target)
        except OSError:  # another process unpacked the same pack first: use its copy
            if not (target / _COMPLETE).is_file():
                raise
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return target
