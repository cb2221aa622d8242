"""`goldentime up --no-sim --ready-file F` is scriptable and stops without orphans."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psutil
import pytest

from stack.embedded import free_port
from tests.conftest import REPO, wait_for
from tests.kafka_io import produce, read_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]
KST = timezone(timedelta(hours=9))


async def test_up_is_scriptable_and_stops_cleanly(tmp_path: Path) -> None:
    ready = tmp_path / "ready.json"
    log = tmp_path / "up.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(  # noqa: ASYNC220 - started once, waited on by polling
            [
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
            ],
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        started = time.monotonic()
        wait_for(lambda: ready.exists() or proc.poll() is not None, timeout_s=60)
        assert proc.poll() is None, log.read_text()
        assert time.monotonic() - started < 60
        info = json.loads(ready.read_text())
        assert set(info) >= {"kafka_bootstrap", "redis_url", "console_url", "tokens"}
        assert info["tokens"]["dispatcher"] and info["tokens"]["crew"]
        children = psutil.Process(proc.pid).children(recursive=True)
        assert len(children) >= 4  # broker, cache, worker, console

        call = {
            "id": "call-up-1",
            "received_at": datetime.now(KST).isoformat(),
            "location": {"lon": 126.978, "lat": 37.5665},
            "category": "medical",
        }
        produce(
            info["kafka_bootstrap"],
            "calls",
            [(b"call-up-1", call), (b"junk", b"definitely not json")],
        )
        incidents = await read_until(info["kafka_bootstrap"], "incidents", lambda r: len(r) >= 1)
        assert incidents[0]["evidence"][0]["id"] == "call-up-1"
        dead = await read_until(info["kafka_bootstrap"], "deadletter", lambda r: len(r) >= 1)
        assert dead[0]["payload"] == "definitely not json"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
    assert proc.returncode == 0
    for child in children:
        assert not child.is_running() or child.status() == psutil.STATUS_ZOMBIE, child
    assert not ready.exists()
