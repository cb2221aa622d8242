"""Fixtures of the scenario tests: a real worker on the city GoldenTime runs on by default
(Seoul: the reference data beside the checkout, else the city pack), and the simulator run
as the ``goldentime simulate`` command against the session's real broker and cache."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from geo import City, load_city
from stack.settings import Settings, default_data_dir
from stack.supervisor import child_env
from tests.conftest import REPO, Process, start_worker


@pytest.fixture
def city_settings(settings: Settings) -> Settings:
    """This test's deployment, on the default city instead of the grid fixture."""
    return settings.replace(data_dir=default_data_dir())


@pytest.fixture(scope="session")
def default_city() -> City:
    """The default city, as the worker loads it."""
    return load_city(default_data_dir())


@pytest.fixture
def city_worker(city_settings: Settings, tmp_path: Path) -> Iterator[Process]:
    """A running stream worker (with its stages) on the default city."""
    proc = start_worker(city_settings, tmp_path, timeout_s=120)
    yield proc
    proc.stop()


def simulate(settings: Settings, *args: str, timeout_s: float = 240) -> str:
    """Run ``goldentime simulate ARGS`` to its end against a deployment; its output."""
    return goldentime(settings, "simulate", *args, timeout_s=timeout_s)


def goldentime(settings: Settings, *args: str, timeout_s: float = 240) -> str:
    """Run ``goldentime ARGS`` to its end against a deployment; its output."""
    env = {**child_env(settings), "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-m", "stack.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return done.stdout
