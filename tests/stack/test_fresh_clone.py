"""A fresh clone, with nothing beside it, runs on Seoul: the city pack inside the repository."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from stack.embedded import free_port

pytestmark = [pytest.mark.integration, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]


def clone_without_neighbours(dest: Path) -> Path:
    """The repository's tracked files copied to ``dest/goldentime`` (no ../shared there)."""
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True
    ).stdout.split(b"\0")
    clone = dest / "goldentime"
    for name in filter(None, tracked):
        src = REPO / name.decode()
        if src.is_file():
            target = clone / name.decode()
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target)
    assert not (clone.parent / "shared").exists()
    return clone


def test_a_clone_with_nothing_beside_it_runs_on_seoul(tmp_path: Path) -> None:
    clone = clone_without_neighbours(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GT_")}
    env.update(PYTHONPATH=str(clone), HOME=str(tmp_path / "home"))  # an empty city cache too
    where = subprocess.run(
        [
            sys.executable,
            "-c",
            "from stack.settings import Settings; print(Settings.from_env({}).data_dir)",
        ],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert Path(where) == clone / "geo" / "data" / "seoul"  # the clone's own pack

    ready = tmp_path / "ready.json"
    argv = [
        sys.executable,
        "-m",
        "stack.cli",
        "up",
        "--no-sim",
        "--ready-file",
        str(ready),
        "--run-dir",
        str(tmp_path / "run"),
        "--port",
        str(free_port()),
    ]
    log = (tmp_path / "up.log").open("wb")
    proc = subprocess.Popen(argv, cwd=clone, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while not ready.exists():
            assert proc.poll() is None, (tmp_path / "up.log").read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, "goldentime up did not get ready"
            time.sleep(0.2)
        info = json.loads(ready.read_text())
        assert info["city"] == "seoul"
        with urllib.request.urlopen(f"{info['console_url']}/api/layers/districts") as resp:
            districts = json.loads(resp.read())
        names = {f["properties"].get("name") for f in districts["features"]}
        assert len(names) >= 24, names
        assert {"강남구", "종로구", "용산구"} <= names
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0
        log.close()
