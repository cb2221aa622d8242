"""`goldentime up --no-sim --ready-file F` is scriptable and stops without orphans."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import psutil
import pytest

from stack.scripted import ScriptedStack
from tests.kafka_io import produce, read_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]
KST = timezone(timedelta(hours=9))


async def test_up_is_scriptable_and_stops_cleanly(tmp_path: Path) -> None:
    stack = ScriptedStack(tmp_path, timeout_s=60)
    with stack:
        assert stack.started_in_s < 60
        info = stack.info
        assert set(info) >= {"kafka_bootstrap", "redis_url", "console_url", "tokens"}
        assert info["tokens"]["dispatcher"] and info["tokens"]["crew"]
        assert stack.proc is not None
        children = psutil.Process(stack.proc.pid).children(recursive=True)
        assert len(children) >= 4  # broker, cache, worker, console (and video relay)

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
    assert stack.proc is not None and stack.proc.returncode == 0
    for child in children:
        assert not child.is_running() or child.status() == psutil.STATUS_ZOMBIE, child
    assert not stack.ready_file.exists()
