"""Every stage the worker starts as a child process imports on its own, in a fresh
interpreter: a child that cannot start is restarted for ever, silently, by its parent."""

from __future__ import annotations

import subprocess
import sys

import pytest

STAGES = ["streams.intake_stage", "streams.dispatch_stage", "streams.follow", "streams.app"]


@pytest.mark.timeout(120)
@pytest.mark.parametrize("module", STAGES)
def test_each_stage_imports_in_a_fresh_interpreter(module: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", f"import {module}"], capture_output=True, text=True, timeout=100
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.timeout(120)
@pytest.mark.parametrize("command", ["worker", "dispatch", "follow"])
def test_each_stage_command_is_known(command: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "stack.cli", command, "--help"],
        capture_output=True,
        text=True,
        timeout=100,
    )
    assert done.returncode == 0, done.stderr
