"""Call → incident latency of the scripted stack (issue 2's figure).

    python -m bench.call_latency [--calls 20]

Starts ``goldentime up --no-sim --ready-file F`` exactly as a script would, then produces
calls one at a time (kafka-python) and times each until the incident naming it is read
from ``incidents`` and received on a ``/ws/console`` socket. Baseline, same run and broker:
a bare produce → consume round trip of the same bytes on a scratch topic. Prints ONE JSON
object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import orjson
import websockets
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from stack.scripted import ScriptedStack

KST = timezone(timedelta(hours=9))
REPO = Path(__file__).resolve().parent.parent


def call(i: int) -> dict[str, Any]:
    """A fire call, each ~1 km from the others so every call opens its own incident."""
    return {
        "id": f"lat-{uuid.uuid4().hex[:10]}",
        "received_at": datetime.now(KST).isoformat(),
        "location": {"lon": 126.90 + 0.012 * (i % 10), "lat": 37.50 + 0.02 * (i // 10)},
        "category": "fire",
        "caller": {"phone": "+82-10-0000-0000"},
    }


async def measure(info: dict[str, Any], n: int) -> dict[str, Any]:
    bootstrap = info["kafka_bootstrap"]
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=0)
    incidents = AIOKafkaConsumer(
        "incidents",
        bootstrap_servers=bootstrap,
        group_id=None,
        auto_offset_reset="latest",
        fetch_max_wait_ms=10,
    )
    scratch = f"bench-echo-{uuid.uuid4().hex[:6]}"
    echo = AIOKafkaConsumer(
        scratch,
        bootstrap_servers=bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=10,
    )
    await producer.start()
    await incidents.start()
    await echo.start()
    url = info["console_url"].replace("http", "ws") + "/ws/console"
    auth = {"Authorization": f"Bearer {info['tokens']['dispatcher']}"}
    topic_ms, console_ms, base_ms = [], [], []
    try:
        async with websockets.connect(url, max_size=None, additional_headers=auth) as ws:
            await ws.recv()  # snapshot
            await incidents.getmany(timeout_ms=500)
            for i in range(n):
                c = call(i)
                raw = orjson.dumps(c)
                t0 = time.perf_counter()
                await producer.send_and_wait("calls", raw, key=c["id"].encode())
                got_topic = got_ws = None
                while got_topic is None or got_ws is None:
                    if got_topic is None:
                        for recs in (await incidents.getmany(timeout_ms=5)).values():
                            if any(c["id"] in r.value.decode() for r in recs):
                                got_topic = time.perf_counter()
                    if got_ws is None:
                        try:
                            msg = await asyncio.wait_for(ws.recv(), 0.005)
                            if c["id"] in msg:
                                got_ws = time.perf_counter()
                        except TimeoutError:
                            pass
                    if time.perf_counter() - t0 > 10:
                        raise RuntimeError(f"call {c['id']} not seen within 10 s")
                topic_ms.append((got_topic - t0) * 1000)
                console_ms.append((got_ws - t0) * 1000)
                t0 = time.perf_counter()
                await producer.send_and_wait(scratch, raw)
                while not any((await echo.getmany(timeout_ms=5)).values()):
                    pass
                base_ms.append((time.perf_counter() - t0) * 1000)
    finally:
        await producer.stop()
        await incidents.stop()
        await echo.stop()
    p50 = statistics.median(topic_ms)
    base = statistics.median(base_ms)
    return {
        "calls": n,
        "call_to_incident_p50_ms": round(p50, 1),
        "call_to_incident_max_ms": round(max(topic_ms), 1),
        "call_to_console_p50_ms": round(statistics.median(console_ms), 1),
        "call_to_console_max_ms": round(max(console_ms), 1),
        "broker_roundtrip_p50_ms": round(base, 1),
        "ratio_vs_broker_roundtrip": round(p50 / base, 1) if base else None,
    }


def main(argv: list[str] | None = None) -> int:
    """Run the measurement and print one JSON object."""
    parser = argparse.ArgumentParser(prog="python -m bench.call_latency")
    parser.add_argument("--calls", type=int, default=20)
    args = parser.parse_args(argv)
    with ScriptedStack(Path(tempfile.mkdtemp(prefix="gt-lat-"))) as up:
        result: dict[str, Any] = {"stack_up_s": round(up.started_in_s, 1)}
        result.update(asyncio.run(measure(up.info, args.calls)))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
