"""How soon a revoked token is refused by a console replica it was not revoked on.

    python -m bench.revocation [--quick] [--tokens N]

Starts the embedded broker and cache and two console replicas (``a`` and ``b``, child
processes sharing both, as in production). For each of N dispatcher tokens: ``b`` accepts
it, a supervisor revokes it on ``a``, and ``b`` is asked every 10 ms until it refuses it
(``other_replica_ms``: from sending the revoke to ``a`` to ``b``'s first 401; ``a``
answers once the revocation is on the topic, ``b`` learns it by tailing that topic).
Then the cache's ``revoked-tokens`` set is deleted while both run, and
``cache_refill_ms`` is the time until it holds all N again (each replica mirrors what it
knows once a second). Baseline, same run and broker: a bare produce → consume round trip
on a scratch topic with the consumer settings the replicas tail the revocations with
(``fetch_max_wait_ms`` 100). Prints ONE JSON object; the machine is shared, so figures
are noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import redis.asyncio as aioredis
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from access import Role, TokenAuthority
from stack.embedded import (
    EmbeddedBroker,
    EmbeddedCache,
    free_port,
    local_settings,
    spawn,
    stop_process,
)
from stack.settings import Settings
from stack.supervisor import child_env, console_ready, wait_until
from streams.topics import Topics, ensure_topics

REPO = Path(__file__).resolve().parent.parent
POLL_S = 0.01
GIVE_UP_S = 30.0


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


async def _until(check: Any, started: float) -> float:
    """Seconds from ``started`` until ``await check()`` is true."""
    while not await check():
        if time.perf_counter() - started > GIVE_UP_S:
            raise RuntimeError(f"not seen within {GIVE_UP_S} s")
        await asyncio.sleep(POLL_S)
    return time.perf_counter() - started


async def _replicas(a: Settings, b: Settings, n: int) -> dict[str, list[float]]:
    authority = TokenAuthority(a.auth_secret.encode())
    supervisor = {"Authorization": f"Bearer {authority.mint(Role.SUPERVISOR, 'bench-sup')}"}
    other_s: list[float] = []
    async with (
        httpx.AsyncClient(base_url=a.console_url, timeout=10) as on_a,
        httpx.AsyncClient(base_url=b.console_url, timeout=10) as on_b,
    ):
        for i in range(n):
            victim = authority.mint(Role.DISPATCHER, f"bench-victim-{i}")
            headers = {"Authorization": f"Bearer {victim}"}
            if (await on_b.get("/api/incidents", headers=headers)).status_code != 200:
                raise RuntimeError("replica b refused a fresh token")
            started = time.perf_counter()
            revoked = await on_a.post(
                "/api/tokens/revoke", json={"token": victim}, headers=supervisor
            )
            if revoked.status_code != 202:
                raise RuntimeError(f"revoke answered {revoked.status_code}: {revoked.text}")

            async def refused(h: dict[str, str] = headers) -> bool:
                return (await on_b.get("/api/incidents", headers=h)).status_code == 401

            other_s.append(await _until(refused, started))
    cache = aioredis.Redis.from_url(a.redis_url)
    try:
        key = f"{a.namespace}:revoked-tokens"
        await cache.delete(key)
        started = time.perf_counter()

        async def refilled() -> bool:
            return int(await cache.scard(key)) >= n

        refill_s = await _until(refilled, started)
    finally:
        await cache.aclose()
    return {"other_replica": other_s, "cache_refill": [refill_s]}


async def _broker_roundtrip(bootstrap: str, n: int) -> list[float]:
    topic = f"bench-echo-{uuid.uuid4().hex[:6]}"
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=0)
    echo = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=100,
    )
    await producer.start()
    await producer.send_and_wait(topic, b"warm-up")  # creates the topic
    await echo.start()
    samples: list[float] = []
    try:
        await echo.getmany(timeout_ms=1000)
        for i in range(n):
            started = time.perf_counter()
            await producer.send_and_wait(topic, f"revocation-{i}".encode())
            while not any((await echo.getmany(timeout_ms=100)).values()):
                pass
            samples.append(time.perf_counter() - started)
    finally:
        await producer.stop()
        await echo.stop()
    return samples


def run(n: int) -> dict[str, Any]:
    """Start broker, cache and two consoles; measure the revocations, then the baseline."""
    with (
        tempfile.TemporaryDirectory() as tmp,
        EmbeddedBroker(Path(tmp) / "b") as broker,
        EmbeddedCache(Path(tmp) / "c") as cache,
    ):
        prefix = f"bench{uuid.uuid4().hex[:8]}-"
        a = local_settings(
            broker.bootstrap, cache.url, Path(tmp), topic_prefix=prefix, log_level="warning"
        )
        b = a.replace(console_port=free_port())
        ensure_topics(a.kafka_bootstrap, Topics(prefix), a.partitions)
        consoles = [
            spawn(
                [sys.executable, "-m", "stack.cli", "console"],
                Path(tmp) / f"console-{name}.log",
                {**child_env(s), "PYTHONPATH": str(REPO)},
            )
            for name, s in (("a", a), ("b", b))
        ]
        try:
            for s in (a, b):
                wait_until(lambda s=s: console_ready(s.console_url), "console", 60)
            measured = asyncio.run(_replicas(a, b, n))
            base = asyncio.run(_broker_roundtrip(a.kafka_bootstrap, n))
        finally:
            for proc in consoles:
                stop_process(proc)
    other, refill = measured["other_replica"], measured["cache_refill"][0]
    base_p50 = statistics.median(base)
    return {
        "benchmark": "revocation",
        "tokens": n,
        "other_replica_p50_ms": _ms(statistics.median(other)),
        "other_replica_max_ms": _ms(max(other)),
        "cache_refill_ms": _ms(refill),
        "baseline_broker_roundtrip_p50_ms": _ms(base_p50),
        "ratio_vs_baseline": round(statistics.median(other) / base_p50, 1) if base_p50 else None,
        "target": "other_replica_max_ms < 1000, cache_refill_ms < 1000 (console/revocations.py)",
        "machine": f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f} at end (shared; noisy)",
    }


def main(argv: list[str] | None = None) -> int:
    """Run the measurement and print one JSON object."""
    parser = argparse.ArgumentParser(prog="python -m bench.revocation")
    parser.add_argument("--quick", action="store_true", help="5 tokens")
    parser.add_argument("--tokens", type=int, default=20)
    args = parser.parse_args(argv)
    print(json.dumps(run(5 if args.quick else args.tokens)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
