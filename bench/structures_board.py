"""Benchmark: the console's structure board under live readings, in a real browser.

    python -m bench.structures_board [--quick] [--structures N] [--rate UPDATES_PER_S]
                                     [--per-update K] [--duration S]

Starts the embedded broker and cache and the console on Seoul (its registry of bridges,
tunnels, underpasses and overpasses), and produces a ``road-closures`` record for N
structures: the registry's, then made-up ones the log alone knows (the board shows those too)
up to N, every one of them not open (watch, closure recommended or closed), so the board's
default view (structures needing attention) holds all N: the worst case. It opens the console
in headless Debian Chromium with the board shown, then produces ``rate`` updates per second,
each a new reading (and version) of K structures: rows change value, trend and sometimes
state and order.

``render_p99_ms`` is the console's own measure of each animation frame that applied updates
(``GT.console.renderMs``: apply, map, every panel including the board, and the layout the
update causes), after a warm-up of ``WARMUP_S``. ``load_ms`` is from opening the page to every
structure known (registry fetched, snapshot applied). Baseline, in the same run and page: the
board drawing every row (``GT.structures.settings.rowLimit = Infinity``) instead of at most
its limit. Prints ONE JSON object; the machine is shared, so figures are noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from bench.console_render import BOX, CHROMIUM_ARGS, _chromium, _p99

WARMUP_S = 2.0
STATES = ("watch", "closure_recommended", "closed")
KIND_READING = {
    "underpass": ("water_level", "m", 0.15, 0.30),
    "tunnel": ("tunnel_co", "ppm", 25.0, 50.0),
    "bridge": ("wind", "m/s", 20.0, 25.0),
    "overpass": ("wind", "m/s", 20.0, 25.0),
}


class Feed:
    """Produces each structure's records, first all of them, then updates of a few."""

    def __init__(self, bootstrap: str, prefix: str, entries: list[dict[str, Any]]) -> None:
        from kafka import KafkaProducer

        from streams.topics import Topics

        self.topic = Topics(prefix).road_closures
        self.producer = KafkaProducer(bootstrap_servers=bootstrap, acks=1, linger_ms=0)
        self.entries = entries
        self.version = [1] * len(entries)
        self.rng = random.Random(840)

    def record(self, i: int) -> dict[str, Any]:
        e = self.entries[i]
        kind, unit, watch, close = KIND_READING[e["kind"]]
        at = datetime.now(UTC)
        value = round(self.rng.uniform(watch, close * 1.2), 2)
        return {
            "structure_id": e["structure_id"],
            "name": e["name"],
            "kind": e["kind"],
            "state": STATES[(i + self.version[i]) % len(STATES)],
            "version": self.version[i],
            "updated_at": at.isoformat(),
            "link_ids": e["link_ids"],
            "gu": e["gu"],
            "location": e["location"],
            "reason": f"{kind} {value} {unit}",
            "readings": [
                {
                    "sensor_id": f"S-{e['structure_id']}",
                    "kind": kind,
                    "value": value,
                    "unit": unit,
                    "watch_at": watch,
                    "close_at": close,
                    "measured_at": (at - timedelta(seconds=1)).isoformat(),
                }
            ],
        }

    def send(self, picks: list[int]) -> None:
        for i in picks:
            key = self.entries[i]["structure_id"].encode()
            self.producer.send(self.topic, key=key, value=orjson.dumps(self.record(i)))
        self.producer.flush()

    def scene(self) -> None:
        self.send(list(range(len(self.entries))))

    def update(self, per_update: int) -> None:
        picks = self.rng.sample(range(len(self.entries)), per_update)
        for i in picks:
            self.version[i] += 1
        self.send(picks)


def entries_for(data_dir: Path | None, n: int) -> tuple[list[dict[str, Any]], int]:
    """N structures: the registry's, then made-up underpasses; and how many are real."""
    from geo import load_city
    from geo.structures import structures

    real = [
        {
            "structure_id": s.id,
            "name": s.name,
            "kind": s.kind,
            "gu": s.gu,
            "link_ids": list(s.link_ids),
            "location": {"lon": s.lon, "lat": s.lat},
        }
        for s in structures(load_city(data_dir))
    ][:n]
    x0, y0, x1, y1 = BOX
    made = [
        {
            "structure_id": f"ST-U-BENCH{i:04d}",
            "name": f"벤치{i}지하차도",
            "kind": "underpass",
            "gu": "중구",
            "link_ids": [f"BENCH{i}"],
            "location": {
                "lon": x0 + (i * 7919 % 1000) / 1000 * (x1 - x0),
                "lat": y0 + (i * 104729 % 1000) / 1000 * (y1 - y0),
            },
        }
        for i in range(n - len(real))
    ]
    return real + made, len(real)


async def _phase(
    page: Any, feed: Feed, row_limit: float, rate: float, per_update: int, duration_s: float
) -> dict[str, Any]:
    """Stream updates for ``duration_s`` with the board drawing at most ``row_limit`` rows."""
    limit = "Infinity" if row_limit == float("inf") else str(int(row_limit))
    await page.evaluate(f"GT.structures.settings.rowLimit = {limit}")
    stop = asyncio.Event()
    sent = 0

    async def stream() -> None:
        nonlocal sent
        start = time.monotonic()
        while not stop.is_set():
            await asyncio.to_thread(feed.update, per_update)
            sent += 1
            delay = start + sent / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)

    task = asyncio.create_task(stream())
    await asyncio.sleep(WARMUP_S)
    await page.evaluate("GT.console.renderMs.length = 0")
    began, sent_before = time.monotonic(), sent
    try:
        await asyncio.sleep(duration_s)
    finally:
        stop.set()
        await task
    elapsed = time.monotonic() - began
    times = sorted(await page.evaluate("GT.console.renderMs.slice()"))
    rows = await page.evaluate("document.querySelectorAll('#structures li.structure').length")
    if not times:
        raise RuntimeError("the page rendered no updates")
    return {
        "rows_drawn": rows,
        "updates_per_s": round((sent - sent_before) / elapsed, 1),
        "renders": len(times),
        "render_p50_ms": round(statistics.median(times), 2),
        "render_p99_ms": _p99(times),
        "render_max_ms": round(times[-1], 2),
    }


async def _measure(
    settings: Any, n: int, rate: float, per_update: int, duration_s: float
) -> dict[str, Any]:
    from playwright.async_api import async_playwright

    from access import Role, TokenAuthority

    entries, real = entries_for(settings.data_dir, n)
    feed = Feed(settings.kafka_bootstrap, settings.topic_prefix, entries)
    feed.scene()
    tok = TokenAuthority(settings.auth_secret.encode()).mint(Role.DISPATCHER, "bench")
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=_chromium(), args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(
                viewport={"width": 1920, "height": 1080}, bypass_csp=True
            )  # playwright polls with eval, which the page's CSP forbids
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            signed_in = await page.request.post(
                f"{settings.console_url}/api/session",
                headers={"Authorization": f"Bearer {tok}", "Origin": settings.console_url},
            )  # the session cookie, as the sign-in page gets it
            assert signed_in.ok, await signed_in.text()
            began = time.monotonic()
            await page.goto(f"{settings.console_url}/")
            await page.wait_for_function(
                f"GT.structures.items.size === {len(entries)}"
                " && [...GT.structures.items.values()].every(s => s.state !== 'open')",
                timeout=60000,
            )
            load_ms = round((time.monotonic() - began) * 1000)
            await page.click("#structures-toggle")
            limited = await _phase(page, feed, 150, rate, per_update, duration_s)
            every = await _phase(page, feed, float("inf"), rate, per_update, duration_s)
            if errors:
                raise RuntimeError(f"page errors: {errors[:3]}")
        finally:
            await browser.close()
            feed.producer.close()
    return {
        "structures": len(entries),
        "registry": real,
        "load_ms": load_ms,
        "limited": limited,
        "every_row": every,
    }


def run(n: int, rate: float, per_update: int, duration_s: float) -> dict[str, Any]:
    """Start broker, cache and console on Seoul; measure the board, then the baseline."""
    from stack.embedded import EmbeddedBroker, EmbeddedCache, local_settings, spawn, stop_process
    from stack.settings import default_data_dir
    from stack.supervisor import child_env, console_ready, wait_until
    from streams.topics import Topics, ensure_topics

    repo = str(Path(__file__).resolve().parent.parent)
    with (
        tempfile.TemporaryDirectory() as tmp,
        EmbeddedBroker(Path(tmp) / "b") as broker,
        EmbeddedCache(Path(tmp) / "c") as cache,
    ):
        prefix = f"bench{uuid.uuid4().hex[:8]}-"
        settings = local_settings(
            broker.bootstrap,
            cache.url,
            Path(tmp),
            topic_prefix=prefix,
            log_level="warning",
            data_dir=default_data_dir(),
        )
        ensure_topics(settings.kafka_bootstrap, Topics(prefix), settings.partitions)
        env = {**child_env(settings), "PYTHONPATH": repo}
        console = spawn(
            [sys.executable, "-m", "stack.cli", "console"], Path(tmp) / "console.log", env
        )
        try:
            wait_until(lambda: console_ready(settings.console_url), "console", 120)
            m = asyncio.run(_measure(settings, n, rate, per_update, duration_s))
        finally:
            stop_process(console)
    limited, every = m["limited"], m["every_row"]
    return {
        "benchmark": "structures_board",
        "structures": m["structures"],
        "registry_structures": m["registry"],
        "structures_per_update": per_update,
        "duration_s": duration_s,
        "load_ms": m["load_ms"],
        **limited,
        "baseline": "every row: the board drawing all structures needing attention "
        "(same page, same stream)",
        **{f"baseline_{k}": v for k, v in every.items()},
        "p99_ratio_vs_baseline": round(
            limited["render_p99_ms"] / max(every["render_p99_ms"], 1e-3), 2
        ),
        "machine": f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f} at end (shared; noisy)",
    }


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--quick", action="store_true", help="6 s per phase")
    p.add_argument("--structures", type=int, default=840)
    p.add_argument("--rate", type=float, default=5.0, help="updates per second")
    p.add_argument("--per-update", type=int, default=40, help="structures changed per update")
    p.add_argument("--duration", type=float, default=15.0, help="seconds per phase")
    args = p.parse_args(argv)
    duration = 6.0 if args.quick else args.duration
    print(json.dumps(run(args.structures, args.rate, args.per_update, duration)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
