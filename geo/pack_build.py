"""Build a city pack from a data directory: ``python -m geo.pack_build SRC DEST``.

Only the files the Seoul loader reads are packed (see ``geo.seoul.SEOUL_FILES``); the
directory's SOURCES.md is carried over unchanged beside them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import lzma
import shutil
from pathlib import Path

from geo.pack import MANIFEST
from geo.seoul import SEOUL_FILES

__all__ = ["build_pack"]


def build_pack(src: Path, dest: Path, city: str = "seoul") -> dict[str, object]:
    """Compress the loader's files of ``src`` into ``dest`` and write the manifest."""
    dest.mkdir(parents=True, exist_ok=True)
    files: dict[str, dict[str, object]] = {}
    for name in sorted(SEOUL_FILES.values()):
        path = src / name
        if not path.is_file():
            continue
        data = path.read_bytes()
        packed = lzma.compress(data, preset=9 | lzma.PRESET_EXTREME)
        (dest / f"{name}.xz").write_bytes(packed)
        files[name] = {
            "sha256": hashlib.sha256(data).hexdigest(),
            "bytes": len(data),
            "xz_bytes": len(packed),
        }
    if (src / "SOURCES.md").is_file():
        shutil.copyfile(src / "SOURCES.md", dest / "SOURCES.md")
    manifest: dict[str, object] = {"city": city, "files": files}
    (dest / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    return manifest


def main() -> None:
    """Command line: build a pack."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("src", type=Path)
    p.add_argument("dest", type=Path)
    p.add_argument("--city", default="seoul")
    args = p.parse_args()
    manifest = build_pack(args.src, args.dest, args.city)
    files = manifest["files"]
    assert isinstance(files, dict)
    total = sum(int(f["xz_bytes"]) for f in files.values())
    print(f"{len(files)} files, {total} bytes compressed, in {args.dest}")


if __name__ == "__main__":
    main()
