"""How long a process takes to load the Seoul city pack: ``python -m bench.city_load``.

Each measurement is a fresh Python process (as every GoldenTime process starts): ``cold``
with an empty cache (the pack is unpacked and checked), ``warm`` reusing the unpacked copy.
Prints one JSON object; ``load_s`` excludes importing the libraries, ``import_s`` is that.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from geo.pack import BUILTIN_SEOUL_PACK, read_pack

PROBE = """
import json, time
t0 = time.perf_counter()
from geo import load_city
from geo.pack import BUILTIN_SEOUL_PACK
t1 = time.perf_counter()
city = load_city(BUILTIN_SEOUL_PACK)
t2 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "load_s": t2 - t1, "city": city.name,
                  "gu": len(city.districts), "dongs": len(city.dongs),
                  "nodes": city.roads.node_count, "stations": len(city.stations)}))
"""


def _probe(home: Path) -> dict[str, object]:
    env = {**os.environ, "HOME": str(home)}
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True
    )
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main(runs: int = 3) -> dict[str, object]:
    """Measure cold and warm loads of the built-in Seoul pack."""
    pack = read_pack(BUILTIN_SEOUL_PACK)
    pack_bytes = sum(p.stat().st_size for p in BUILTIN_SEOUL_PACK.iterdir() if p.is_file())
    cold, warm = [], []
    last: dict[str, object] = {}
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as home:
            first = _probe(Path(home))
            cold.append(float(first["load_s"]))  # type: ignore[arg-type]
            last = _probe(Path(home))
            warm.append(float(last["load_s"]))  # type: ignore[arg-type]
    return {
        "bench": "city_load",
        "pack": str(BUILTIN_SEOUL_PACK),
        "pack_files": len(pack.files),
        "pack_bytes": pack_bytes,
        "runs": runs,
        "cold_load_s_median": round(statistics.median(cold), 3),
        "warm_load_s_median": round(statistics.median(warm), 3),
        "cold_load_s_max": round(max(cold), 3),
        "import_s": round(float(last["import_s"]), 3),  # type: ignore[arg-type]
        "city": last["city"],
        "gu": last["gu"],
        "dongs": last["dongs"],
        "road_nodes": last["nodes"],
        "stations": last["stations"],
    }


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)))
