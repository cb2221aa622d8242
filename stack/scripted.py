"""Drive ``goldentime up`` from a script: start it, wait for its ready file, stop it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from stack.embedded import free_port
from stack.settings import REPO_ROOT


class ScriptedStack:
    """``goldentime up --no-sim --ready-file …`` as a context manager (what scripts do)."""

    def __init__(
        self, run_dir: Path, *, env: dict[str, str] | None = None, timeout_s: float = 90.0
    ) -> None:
        self.run_dir = run_dir
        self.ready_file = run_dir / "ready.json"
        self.log_path = run_dir / "up.log"
        self._env = env
        self._timeout_s = timeout_s
        self.proc: subprocess.Popen[bytes] | None = None
        self.info: dict[str, Any] = {}
        self.started_in_s = 0.0

    def __enter__(self) -> Self:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        env = None if self._env is None else {**os.environ, **self._env}
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "stack.cli",
                    "up",
                    "--no-sim",
                    "--ready-file",
                    str(self.ready_file),
                    "--run-dir",
                    str(self.run_dir / "stack"),
                    "--port",
                    str(free_port()),
                ],
                cwd=REPO_ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
            )
        started = time.monotonic()
        while not self.ready_file.exists():
            if self.proc.poll() is not None or time.monotonic() - started > self._timeout_s:
                self.__exit__(None, None, None)
                raise RuntimeError(
                    "goldentime up did not get ready:\n"
                    + self.log_path.read_text(errors="replace")[-3000:]
                )
            time.sleep(0.2)
        self.started_in_s = time.monotonic() - started
        self.info = json.loads(self.ready_file.read_text())
        return self

    def stop(self) -> int:
        """SIGTERM ``goldentime up`` and return its exit code."""
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(60)
        return code

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
