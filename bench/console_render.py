"""Benchmark: the operator console's render cost per live update, in a real browser.

    python -m bench.console_render [--quick] [--incidents N] [--rate UPDATES_PER_S]
                                   [--per-update K] [--duration S]

Starts the embedded broker and cache and the console in its own process, produces N open
incidents (a third with an assigned unit) and 500 units, and opens the console in headless
Debian Chromium (the system's ``chromium``; playwright drives it, it never downloads one).
Then it produces ``rate`` updates per second, each changing K incidents (priority, status or
patients: rows change text, group and place), while a pointer clicks a row every ~0.5 s with a
human press (~100 ms between down and up).

``render_p99_ms`` is measured in the page: ``performance.now()`` around the console's render
of each animation frame that applied updates (apply to state and map, queue, detail, alerts, and
the style and layout the update causes, read before the clock stops), after a warm-up of
``WARMUP_S`` with the stream running. ``frame_p99_ms`` goes on to the end of that frame's
paint and commit (a message posted at the end of the render runs after them, and after any task
queued before it: an upper bound, and the figure a busy shared machine inflates most).
``frame_cpu_p99_ms`` is the renderer main thread's CPU time for each frame in which the console
rendered (a Chrome trace of the measured window: the task holding the console's ``flush``,
with the style, layout, paint and commit that follow it in that task): the browser's work per
update without the time the thread waited for a CPU that other processes held.
``clicks_registered`` is the fraction of clicks after which the clicked incident was the
selected one. Baseline, in the same run and page: the list rebuilt from scratch on every update
(``GT.console.renderMode = "rebuild"``, how the console rendered before keyed rows), same
stream, same clicks. Prints ONE JSON object; the machine is shared, so figures are noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
]
BOX = (126.90, 37.50, 127.08, 37.64)  # lon0, lat0, lon1, lat1: most of Seoul
TYPES = ["fire", "medical", "cardiac_arrest", "traffic", "gas_leak", "rescue", "collapse"]
WARMUP_S = 2.0  # the stream runs this long in each phase before renders are counted
DISTRICTS = ["중구", "종로구", "마포구", "용산구", "성동구", "강남구", "서초구", "영등포구"]


def _spot(i: int) -> dict[str, float]:
    x0, y0, x1, y1 = BOX
    return {
        "lon": x0 + (i * 7919 % 1000) / 1000 * (x1 - x0),
        "lat": y0 + (i * 104729 % 1000) / 1000 * (y1 - y0),
    }


def _incident(i: int, version: int, rng: random.Random) -> dict[str, Any]:
    at = datetime.now(UTC) - timedelta(seconds=rng.uniform(0, 600))
    status = "dispatched" if i % 3 == 0 else rng.choice(["open", "open", "on_scene"])
    return {
        "id": f"inc-r-{i:05d}",
        "type": TYPES[i % len(TYPES)],
        "priority": 1 + rng.randrange(5),
        "status": status,
        "location": _spot(i),
        "opened_at": at.isoformat(),
        "updated_at": datetime.now(UTC).isoformat(),
        "evidence": [{"source": "call", "id": f"call-r-{i}-{version}"}],
        "golden_time_s": 420.0,
        "deadline_at": (at + timedelta(seconds=420)).isoformat(),
        "district": DISTRICTS[i % len(DISTRICTS)],
        "confidence": 0.8,
        "version": version,
        "address": f"서울 {DISTRICTS[i % len(DISTRICTS)]} 도로 {i}",
        "patients": rng.randrange(4),
    }


def _unit(i: int) -> dict[str, Any]:
    return {
        "unit_id": f"E-R-{i:03d}",
        "at": datetime.now(UTC).isoformat(),
        "kind": "engine",
        "station_id": "ST-1",
        "status": "available" if i % 2 else "en_route",
        "location": _spot(i + 5000),
    }


def _assignment(i: int) -> dict[str, Any]:
    return {
        "incident_id": f"inc-r-{i:05d}",
        "unit_id": f"E-R-{i % 500:03d}",
        "status": "assigned",
        "eta_s": 240.0,
        "distance_m": 1800.0,
        "route": None,
        "golden_time_s": 420.0,
        "within_golden_time": True,
        "issued_at": datetime.now(UTC).isoformat(),
    }


def _chromium() -> str:
    for candidate in ("/usr/bin/chromium", shutil.which("chromium") or ""):
        if candidate and Path(candidate).exists():
            return candidate
    raise SystemExit("Debian chromium is not installed (apt-get install -y chromium)")


class Feed:
    """Produces the scene and the stream of updates to the console's input topics."""

    def __init__(self, bootstrap: str, prefix: str, incidents: int, seed: int = 119) -> None:
        from kafka import KafkaProducer

        from streams.topics import Topics

        self.topics = Topics(prefix)
        self.producer = KafkaProducer(bootstrap_servers=bootstrap, acks=1, linger_ms=0)
        self.rng = random.Random(seed)
        self.n = incidents
        self.version = 1

    def send(self, base: str, items: list[dict[str, Any]], key: str) -> None:
        for item in items:
            self.producer.send(
                self.topics.name(base), key=str(item[key]).encode(), value=orjson.dumps(item)
            )
        self.producer.flush()

    def scene(self) -> None:
        self.send("unit-status", [_unit(i) for i in range(500)], "unit_id")
        self.send("incidents", [_incident(i, 1, self.rng) for i in range(self.n)], "id")
        self.send("assignments", [_assignment(i) for i in range(0, self.n, 3)], "incident_id")

    def update(self, per_update: int) -> None:
        self.version += 1
        picks = self.rng.sample(range(self.n), per_update)
        self.send("incidents", [_incident(i, self.version, self.rng) for i in picks], "id")


def _p99(ordered: list[float]) -> float:
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 2)


TRACE_CATEGORIES = ["devtools.timeline", "disabled-by-default-devtools.timeline"]


def frame_cpu_ms(trace: bytes) -> list[float]:
    """Main-thread CPU time (ms) of each task in which the console's ``flush`` ran."""
    events = orjson.loads(trace)
    events = events["traceEvents"] if isinstance(events, dict) else events
    flushes = [
        e
        for e in events
        if e.get("name") == "FunctionCall"
        and e.get("ph") == "X"
        and (e.get("args") or {}).get("data", {}).get("functionName") == "flush"
        and str(e["args"]["data"].get("url", "")).endswith("/console.js")
    ]
    if not flushes:
        return []
    thread = max(
        {(e["pid"], e["tid"]) for e in flushes},
        key=lambda t: sum((e["pid"], e["tid"]) == t for e in flushes),
    )
    tasks = sorted(
        (e["ts"], e["ts"] + e["dur"], e["tdur"])
        for e in events
        if e.get("name") == "RunTask"
        and e.get("ph") == "X"
        and "tdur" in e  # thread time: what the thread ran, not what it waited
        and (e["pid"], e["tid"]) == thread
    )
    starts = [t[0] for t in tasks]
    found: dict[int, float] = {}
    for f in flushes:
        if (f["pid"], f["tid"]) != thread:
            continue
        i = bisect.bisect_right(starts, f["ts"]) - 1
        if i >= 0 and tasks[i][1] >= f["ts"] + f["dur"]:
            found[i] = tasks[i][2] / 1000
    return list(found.values())


async def _phase(
    browser: Any,
    page: Any,
    feed: Feed,
    mode: str,
    rate: float,
    per_update: int,
    duration_s: float,
) -> dict[str, Any]:
    """Stream updates for ``duration_s`` in render ``mode`` while clicking rows."""
    await page.evaluate(f"GT.console.renderMode = '{mode}'")
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
    await page.evaluate("GT.console.renderMs.length = 0; GT.console.frameMs.length = 0")
    await browser.start_tracing(page=page, categories=TRACE_CATEGORIES)
    began, sent_before = time.monotonic(), sent
    clicks = registered = 0
    rng = random.Random(7)
    try:
        while time.monotonic() - began < duration_s:
            await asyncio.sleep(0.4)
            rows = await page.evaluate(
                """() => [...document.querySelectorAll('#incidents li.incident')].slice(0, 12)
                     .map(li => { const r = li.getBoundingClientRect();
                                  return [li.dataset.id, r.x + r.width / 2,
                                          r.y + r.height / 2]; })"""
            )
            if not rows:
                continue
            incident_id, x, y = rng.choice(rows)
            await page.mouse.move(x, y)
            await page.mouse.down()
            await asyncio.sleep(0.1)
            await page.mouse.up()
            clicks += 1
            try:
                await page.wait_for_function(
                    f"GT.console.state.selected === '{incident_id}'", timeout=1000
                )
                registered += 1
            except Exception:  # noqa: BLE001 - a click that did not register is what we count
                pass
    finally:
        stop.set()
        await task
    elapsed = time.monotonic() - began
    cpu = sorted(frame_cpu_ms(await browser.stop_tracing()))
    times = sorted(await page.evaluate("GT.console.renderMs.slice()"))
    frames = sorted(await page.evaluate("GT.console.frameMs.slice()"))
    if not times or not frames or not cpu:
        raise RuntimeError("the page rendered no updates")
    return {
        "updates_per_s": round((sent - sent_before) / elapsed, 1),
        "renders": len(times),
        "render_p50_ms": round(statistics.median(times), 2),
        "render_p99_ms": _p99(times),
        "render_max_ms": round(times[-1], 2),
        "frame_p50_ms": round(statistics.median(frames), 2),
        "frame_p99_ms": _p99(frames),
        "frame_cpu_p50_ms": round(statistics.median(cpu), 2),
        "frame_cpu_p99_ms": _p99(cpu),
        "clicks": clicks,
        "clicks_registered": round(registered / clicks, 3) if clicks else 0.0,
    }


async def _measure(
    settings: Any, incidents: int, rate: float, per_update: int, duration_s: float
) -> dict[str, Any]:
    from playwright.async_api import async_playwright

    from access import Role, TokenAuthority

    feed = Feed(settings.kafka_bootstrap, settings.topic_prefix, incidents)
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
            await page.goto(f"{settings.console_url}/")
            await page.wait_for_function(
                f"GT.console.state.incidents.size === {incidents}", timeout=60000
            )
            open_incidents = await page.evaluate("GT.console.state.incidents.size")
            keyed = await _phase(browser, page, feed, "keyed", rate, per_update, duration_s)
            base = await _phase(browser, page, feed, "rebuild", rate, per_update, duration_s)
            if errors:
                raise RuntimeError(f"page errors: {errors[:3]}")
        finally:
            await browser.close()
            feed.producer.close()
    return {"open_incidents": open_incidents, "keyed": keyed, "baseline": base}


def run(incidents: int, rate: float, per_update: int, duration_s: float) -> dict[str, Any]:
    """Start broker, cache and console; measure keyed rendering, then the rebuild baseline."""
    from stack.embedded import EmbeddedBroker, EmbeddedCache, local_settings, spawn, stop_process
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
            broker.bootstrap, cache.url, Path(tmp), topic_prefix=prefix, log_level="warning"
        )
        ensure_topics(settings.kafka_bootstrap, Topics(prefix), settings.partitions)
        env = {**child_env(settings), "PYTHONPATH": repo}
        console = spawn(
            [sys.executable, "-m", "stack.cli", "console"], Path(tmp) / "console.log", env
        )
        try:
            wait_until(lambda: console_ready(settings.console_url), "console", 60)
            m = asyncio.run(_measure(settings, incidents, rate, per_update, duration_s))
        finally:
            stop_process(console)
    keyed, base = m["keyed"], m["baseline"]
    return {
        "benchmark": "console_render",
        "open_incidents": m["open_incidents"],
        "units": 500,
        "incidents_per_update": per_update,
        "duration_s": duration_s,
        **keyed,
        "baseline": "rebuild: the list rebuilt from scratch on every update "
        "(same page, stream, clicks)",
        **{f"baseline_{k}": v for k, v in base.items()},
        "p99_ratio_vs_baseline": round(
            keyed["render_p99_ms"] / max(base["render_p99_ms"], 1e-3), 2
        ),
        "target": "open_incidents >= 2000, updates_per_s >= 10, render_p99_ms <= 16, "
        "clicks_registered = 1.0",
        "machine": f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f} at end (shared; noisy)",
    }


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--quick", action="store_true", help="8 s per phase")
    p.add_argument("--incidents", type=int, default=2000)
    p.add_argument("--rate", type=float, default=10.0, help="updates per second")
    p.add_argument("--per-update", type=int, default=20, help="incidents changed per update")
    p.add_argument("--duration", type=float, default=20.0, help="seconds per phase")
    args = p.parse_args(argv)
    duration = 8.0 if args.quick else args.duration
    print(json.dumps(run(args.incidents, args.rate, args.per_update, duration)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
