"""Benchmark: live updates fanned out by the console to N WebSocket clients.

    python -m bench.fanout [--quick] [--clients N] [--rate UPDATES_PER_S] [--duration S]

Starts the embedded broker and cache and the console in its own process (as in production),
then connects N real WebSocket clients from separate client processes (many connections per
asyncio loop), produces a stream of contract-valid incident updates to the broker, and
measures for each update the time from just before it was produced to the broker to its
arrival at the LAST of the N clients (``delivery_p50_ms`` / ``delivery_p99_ms``; the first
10 % of each phase's updates are a warm-up and not counted).
``cpu_us_per_frame`` is the console process's CPU time (user + system) during the run divided
by the frames it delivered (updates × clients). A few clients that never read (tiny receive
buffers) ride along: ``dropped_slow_clients`` is how many the hub dropped; the fast clients'
figures include them. Baseline: the same stream to ``baseline_clients`` clients in the same
run; ``p99_ratio_vs_baseline`` = delivery_p99_ms / baseline_delivery_p99_ms. Clients ask for
batching (``?batch=1``, as the console page does) and do not negotiate permessage-deflate
(browsers do). Prints ONE JSON object; on a shared 2-core machine the figures are noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

CONNECT_BATCH = 50
END_ID = "inc-bench-end"
END_GRACE_S = 2.0  # updates on the other partition may still be in flight when END arrives
WARMUP_FRACTION = 0.1  # the first 10 % of each phase's updates are not measured


# ---- client worker process -------------------------------------------------------------
class RawClient(asyncio.Protocol):
    """A minimal WebSocket client (RFC 6455, no extensions) so the client side stays cheap.

    Server frames are unfragmented text, close or ping; pings get a masked pong.
    """

    def __init__(self, request: bytes, on_text: Any) -> None:
        self.request, self.on_text = request, on_text
        self.buf = bytearray()
        self.open = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if not self.open.done():
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            if b" 101 " not in self.buf[: self.buf.find(b"\r\n")]:
                self.open.set_exception(RuntimeError(bytes(self.buf[:200]).decode()))
                return
            del self.buf[: end + 4]
            self.open.set_result(None)
        at = time.time()
        buf, pos, size = self.buf, 0, len(self.buf)
        while size - pos >= 2:
            opcode, n, head = buf[pos] & 0x0F, buf[pos + 1] & 0x7F, 2
            if n == 126:
                n, head = int.from_bytes(buf[pos + 2 : pos + 4], "big"), 4
            elif n == 127:
                n, head = int.from_bytes(buf[pos + 2 : pos + 10], "big"), 10
            if size - pos < head + n:
                break
            payload = bytes(buf[pos + head : pos + head + n])
            pos += head + n
            if opcode == 1:
                self.on_text(payload, at)
            elif opcode == 9 and self.transport is not None:  # ping -> masked pong
                mask = os.urandom(4)
                body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
                self.transport.write(bytes([0x8A, 0x80 | len(payload)]) + mask + body)
        del buf[:pos]


def _bench_token() -> str:
    """The dispatcher token the client workers present (from the parent, never in a URL)."""
    return os.environ["GT_BENCH_TOKEN"]


async def _raw_connect(url: str, on_text: Any) -> RawClient:
    hostport, path = url.split("//", 1)[1].split("/", 1)
    host, port = hostport.split(":")
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET /{path} HTTP/1.1\r\nHost: {hostport}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
        f"Authorization: Bearer {_bench_token()}\r\n\r\n"
    ).encode()
    loop = asyncio.get_running_loop()
    _, client = await loop.create_connection(lambda: RawClient(request, on_text), host, int(port))
    await asyncio.wait_for(client.open, 60)
    return client


async def _client_worker(url: str, connections: int, slow: int, timeout_s: float) -> None:
    """Open connections, report readiness, record per-update last arrival; print JSON."""
    import websockets

    last_seen: dict[int, float] = {}
    received = finished = 0
    done = asyncio.Event()

    def on_text(payload: bytes, at: float) -> None:
        nonlocal received, finished
        msg = orjson.loads(payload)
        for m in msg["data"] if msg["type"] == "batch" else [msg]:
            if m["type"] != "incident":
                continue
            if m["data"]["id"] == END_ID:
                finished += 1
                if finished == connections:
                    done.set()
                continue
            seq = int(m["data"]["version"])
            received += 1
            if at > last_seen.get(seq, 0.0):
                last_seen[seq] = at

    async def connect_slow() -> Any:
        host, port = url.split("//", 1)[1].split("/", 1)[0].split(":")
        raw = socket.create_connection((host, int(port)))
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        return await websockets.connect(
            url,
            sock=raw,
            compression=None,
            max_queue=1,
            ping_interval=None,
            additional_headers={"Authorization": f"Bearer {_bench_token()}"},
        )

    clients: list[RawClient] = []
    for start in range(0, connections, CONNECT_BATCH):
        n = min(CONNECT_BATCH, connections - start)
        clients += await asyncio.gather(*(_raw_connect(url, on_text) for _ in range(n)))
    slow_sockets = [await connect_slow() for _ in range(slow)]
    await asyncio.sleep(1.0)  # snapshots arrive
    print("ready", flush=True)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(done.wait(), timeout_s)
    await asyncio.sleep(END_GRACE_S)
    for ws in slow_sockets:
        if ws.transport is not None:
            ws.transport.abort()
    for c in clients:
        if c.transport is not None:
            c.transport.abort()
    result = {
        "last_seen": last_seen,
        "received": received,
        "finished": finished,
        "cpu_s": time.process_time(),
    }
    print(json.dumps(result), flush=True)


# ---- orchestration ---------------------------------------------------------------------
def _incident(seq: int, incident_id: str) -> dict[str, Any]:
    at = datetime.now(UTC)
    return {
        "id": incident_id,
        "type": "fire",
        "priority": 1 + seq % 5,
        "status": "open",
        "location": {"lon": 126.978 + (seq % 50) * 1e-4, "lat": 37.5665},
        "opened_at": at.isoformat(),
        "updated_at": at.isoformat(),
        "evidence": [{"source": "call", "id": f"call-{seq}", "at": at.isoformat()}],
        "golden_time_s": 420.0,
        "deadline_at": (at + timedelta(seconds=420)).isoformat(),
        "district": "중구",
        "confidence": 0.8,
        "version": seq,
        "address": "서울특별시 중구 세종대로 110",
        "description": "smoke from 3rd floor",
    }


class Clients:
    """Client worker processes holding ``total`` connections between them."""

    def __init__(
        self, url: str, token: str, total: int, per_process: int, slow: int, timeout_s: float
    ):
        self.procs: list[subprocess.Popen[str]] = []
        remaining, first = total, True
        while remaining > 0:
            n = min(per_process, remaining)
            args = [sys.executable, "-m", "bench.fanout", "--client", url, "--connections", str(n)]
            args += ["--slow", str(slow if first else 0), "--timeout", str(timeout_s)]
            self.procs.append(
                subprocess.Popen(
                    args,
                    stdout=subprocess.PIPE,
                    text=True,
                    cwd=_repo(),
                    env={**os.environ, "GT_BENCH_TOKEN": token},
                )
            )
            remaining -= n
            first = False

    def wait_ready(self) -> None:
        """Block until every worker has connected all its sockets."""
        for p in self.procs:
            assert p.stdout is not None
            line = p.stdout.readline()
            if line.strip() != "ready":
                raise RuntimeError(f"client worker failed to connect: {line!r}")

    def results(self) -> list[dict[str, Any]]:
        """Each worker's JSON result."""
        out = []
        for p in self.procs:
            stdout, _ = p.communicate(timeout=120)
            out.append(json.loads(stdout.strip().splitlines()[-1]))
        return out


def _repo() -> str:
    return str(Path(__file__).resolve().parent.parent)


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _metric(url: str, name: str) -> float:
    with urllib.request.urlopen(f"{url}/metrics", timeout=5) as resp:
        for line in resp.read().decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
    return 0.0


def _phase(
    settings: Any,
    console_pid: int,
    clients: int,
    slow: int,
    rate: float,
    duration_s: float,
    first_seq: int,
) -> dict[str, Any]:
    from kafka import KafkaProducer

    from access import Role, TokenAuthority
    from streams.topics import Topics

    tok = TokenAuthority(settings.auth_secret.encode()).mint(Role.DISPATCHER, "bench")
    url = settings.console_url.replace("http", "ws") + "/ws/console?batch=1"
    workers = Clients(url, tok, clients, 250, slow, duration_s + 60)
    workers.wait_ready()
    topic = Topics(settings.topic_prefix).incidents
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks=1, linger_ms=0)
    dropped_before = _metric(settings.console_url, "gt_ws_dropped_slow_total")
    cpu_before = _cpu_s(console_pid)
    sent_at: dict[int, float] = {}
    n = int(rate * duration_s)
    t0 = time.monotonic()
    for i in range(n):
        seq = first_seq + i
        wait = t0 + i / rate - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        value = orjson.dumps(_incident(seq, f"inc-bench-{seq % 200}"))
        sent_at[seq] = time.time()
        producer.send(topic, key=f"inc-bench-{seq % 200}".encode(), value=value)
        producer.flush()
    elapsed = time.monotonic() - t0
    end = orjson.dumps(_incident(first_seq + n, END_ID))
    producer.send(topic, key=END_ID.encode(), value=end)
    producer.flush()
    producer.close()
    results = workers.results()
    cpu = _cpu_s(console_pid) - cpu_before
    dropped = _metric(settings.console_url, "gt_ws_dropped_slow_total") - dropped_before
    last: dict[int, float] = {}
    received = completed = 0
    clients_cpu = sum(r["cpu_s"] for r in results)
    for r in results:
        received += r["received"]
        completed += r["finished"]
        for seq, at in r["last_seen"].items():
            last[int(seq)] = max(last.get(int(seq), 0.0), at)
    warm = sorted(sent_at)[: int(len(sent_at) * WARMUP_FRACTION)]  # connections settling
    latencies = sorted(
        (last[s] - sent_at[s]) * 1000 for s in sent_at if s in last and s not in set(warm)
    )
    q = statistics.quantiles(latencies, n=100) if len(latencies) >= 2 else latencies * 99
    return {
        "clients": clients,
        "updates": n,
        "updates_per_s": round(n / elapsed, 1),
        "delivery_p50_ms": round(q[49], 1),
        "delivery_p99_ms": round(q[98], 1),
        "delivery_max_ms": round(latencies[-1], 1) if latencies else None,
        "frames_delivered": received,
        "frames_expected": n * clients,
        "clients_completed": completed,
        "cpu_us_per_frame": round(cpu * 1e6 / max(received, 1), 1),
        "console_cpu_s": round(cpu, 2),
        "client_processes_cpu_s": round(clients_cpu, 2),
        "elapsed_s": round(elapsed, 2),
        "dropped_slow_clients": int(dropped),
    }


def run(
    clients: int, rate: float, duration_s: float, slow: int, baseline_clients: int
) -> dict[str, Any]:
    """Start broker, cache and console; measure the baseline then the N-client phase."""
    from stack.embedded import EmbeddedBroker, EmbeddedCache, local_settings, spawn, stop_process
    from stack.supervisor import child_env, console_ready, wait_until
    from streams.topics import Topics, ensure_topics

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 65536)), hard))
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
        env = {**child_env(settings), "PYTHONPATH": _repo()}
        log_path = Path(tempfile.gettempdir()) / "gt-bench-fanout-console.log"
        log_path.unlink(missing_ok=True)
        console = spawn([sys.executable, "-m", "stack.cli", "console"], log_path, env)
        try:
            wait_until(lambda: console_ready(settings.console_url), "console", 60)
            base = _phase(settings, console.pid, baseline_clients, 0, rate, duration_s / 2, 1)
            main = _phase(
                settings, console.pid, clients, slow, rate, duration_s, 1 + base["updates"] + 1
            )
        finally:
            stop_process(console)
    return {
        "benchmark": "fanout",
        **{k: main[k] for k in main},
        "slow_clients": slow,
        "baseline_clients": baseline_clients,
        "baseline_delivery_p50_ms": base["delivery_p50_ms"],
        "baseline_delivery_p99_ms": base["delivery_p99_ms"],
        "baseline_cpu_us_per_frame": base["cpu_us_per_frame"],
        "p99_ratio_vs_baseline": round(
            main["delivery_p99_ms"] / max(base["delivery_p99_ms"], 1e-3), 2
        ),
        "target": "1000 clients, delivery_p99_ms <= 150",
        "machine": f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f} at end (shared; noisy)",
    }


def main(argv: list[str] | None = None) -> int:
    """Entry point: the benchmark, or (internally) one client worker process."""
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--quick", action="store_true", help="200 clients for 8 s")
    p.add_argument("--clients", type=int, default=1000)
    p.add_argument("--rate", type=float, default=10.0, help="updates per second")
    p.add_argument("--duration", type=float, default=20.0, help="seconds of updates")
    p.add_argument("--slow", type=int, default=3, help="clients that never read")
    p.add_argument("--baseline-clients", type=int, default=10)
    p.add_argument("--client", help=argparse.SUPPRESS)
    p.add_argument("--connections", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--timeout", type=float, default=120.0, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.client:
        with contextlib.suppress(ImportError):  # clients share the machine: keep them cheap
            import uvloop

            uvloop.install()
        asyncio.run(_client_worker(args.client, args.connections, args.slow, args.timeout))
        return 0
    clients, duration = (200, 8.0) if args.quick else (args.clients, args.duration)
    print(json.dumps(run(clients, args.rate, duration, args.slow, args.baseline_clients)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
