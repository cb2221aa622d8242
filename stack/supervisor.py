"""``goldentime up``: the whole system on one machine, started in order and stopped cleanly."""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from subprocess import Popen
from types import FrameType

import orjson
import redis

from geo import load_city
from stack.embedded import EmbeddedBroker, EmbeddedCache, free_port, spawn, stop_process
from stack.settings import Settings
from stack.tokens import mint_profile_tokens
from streams.topics import Topics, ensure_topics

log = logging.getLogger("goldentime.up")


class StartupError(RuntimeError):
    """A part of the system did not become healthy in time."""


@dataclass
class Part:
    """A supervised child process of the stack."""

    name: str
    args: list[str]
    proc: Popen[bytes] | None = None
    restarts: int = 0
    started_at: float = field(default=0.0)


def child_env(settings: Settings) -> dict[str, str]:
    """The environment of a child: ours, without other GT_ settings, plus the stack's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GT_")}
    env.update(settings.to_env())
    env["PYTHONUNBUFFERED"] = "1"
    return env


def wait_until(check: object, what: str, timeout_s: float) -> None:
    """Poll ``check()`` until true, or raise :class:`StartupError`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if check():  # type: ignore[operator]
                return
        except Exception:  # noqa: BLE001 - any failure of a readiness probe means "not yet"
            pass
        time.sleep(0.2)
    raise StartupError(f"{what} not ready after {timeout_s:.0f} s")


def console_ready(url: str) -> bool:
    """True when the console answers /readyz with 200."""
    try:
        with urllib.request.urlopen(f"{url}/readyz", timeout=2) as resp:
            return bool(resp.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def worker_ready(redis_url: str, namespace: str, worker_id: str) -> bool:
    """True when the worker has reported partitions of both its groups (intake and fusion)
    assigned in the last few seconds."""
    client = redis.Redis.from_url(redis_url, socket_timeout=2)
    try:
        raw = client.hget(f"{namespace}:workers", worker_id)
    finally:
        client.close()
    if not raw:
        return False
    beat = orjson.loads(raw)
    stages = (beat.get("intake_assigned", 1), beat.get("fusion_assigned", 1))
    return bool(beat["assigned"] > 0 and min(stages) > 0 and time.time() - beat["at"] < 10)


class Stack:
    """Starts the embedded services and GoldenTime's processes; stops them in reverse."""

    def __init__(
        self,
        settings: Settings,
        *,
        kafka: str | None,
        redis_url: str | None,
        simulate: bool,
        run_dir: Path | None,
    ) -> None:
        self.settings = settings
        self.run_dir = run_dir or Path(tempfile.mkdtemp(prefix="goldentime-"))
        self.broker = None if kafka else EmbeddedBroker(self.run_dir)
        self.cache = None if redis_url else EmbeddedCache(self.run_dir)
        self._kafka, self._redis, self.simulate = kafka, redis_url, simulate
        self.parts: list[Part] = []
        self.tokens: dict[str, object] = {}
        self._stopping = False

    def start(self) -> dict[str, object]:
        """Start everything and return what the ready file holds."""
        t0 = time.monotonic()
        kafka = self._kafka or self.broker.start().bootstrap  # type: ignore[union-attr]
        redis_url = self._redis or self.cache.start().url  # type: ignore[union-attr]
        port = self.settings.console_port or free_port()
        s = self.settings.replace(
            kafka_bootstrap=kafka,
            redis_url=redis_url,
            console_port=port,
            video_port=self.settings.video_port or free_port(),
            worker_state_dir=self.run_dir / "worker-state",
        ).with_secret()
        self.settings = s
        ensure_topics(kafka, Topics(s.topic_prefix), s.partitions, s.replication_factor)
        city = load_city(s.data_dir)
        self.tokens = mint_profile_tokens(s.auth_secret, city)
        py = sys.executable
        self.parts = [
            Part("worker", [py, "-m", "stack.cli", "worker"]),
            Part("console", [py, "-m", "stack.cli", "console"]),
            Part("video", [py, "-m", "stack.cli", "video"]),
        ]
        for part in self.parts:
            self._launch(part)
        wait_until(lambda: console_ready(s.console_url), "console", 60)
        wait_until(lambda: worker_ready(redis_url, s.namespace, s.worker_id), "worker", 90)
        video_url = f"http://{s.console_host}:{s.video_port}"
        wait_until(lambda: console_ready(video_url), "video relay", 60)
        if self.simulate:
            sim = Part("simulator", [py, "-m", "stack.cli", "simulate"])
            self.parts.append(sim)
            self._launch(sim)
        log.info("stack ready in %.1f s", time.monotonic() - t0)
        return {
            "kafka_bootstrap": kafka,
            "redis_url": redis_url,
            "console_url": s.console_url,
            "video_url": video_url,
            "topic_prefix": s.topic_prefix,
            "run_dir": str(self.run_dir),
            "city": city.name,
            "tokens": self.tokens,
        }

    def _launch(self, part: Part) -> None:
        part.proc = spawn(part.args, self.run_dir / f"{part.name}.log", child_env(self.settings))
        part.started_at = time.monotonic()

    def watch(self) -> None:
        """Restart parts that die (with backoff) until asked to stop."""
        while not self._stopping:
            for part in self.parts:
                if part.proc is not None and part.proc.poll() is not None and not self._stopping:
                    code = part.proc.returncode
                    backoff = min(30.0, 2.0 ** min(part.restarts, 5))
                    log.error(
                        "%s exited with %s; restarting in %.0f s (see %s)",
                        part.name,
                        code,
                        backoff,
                        self.run_dir / f"{part.name}.log",
                    )
                    time.sleep(backoff)
                    part.restarts += 1
                    self._launch(part)
            time.sleep(0.5)

    def stop(self) -> None:
        """Stop the simulator, console, worker, then cache and broker."""
        self._stopping = True
        for part in reversed(self.parts):
            if part.proc is not None:
                stop_process(part.proc, timeout_s=15)
        if self.cache:
            self.cache.stop()
        if self.broker:
            self.broker.stop()


def _login_link(info: dict[str, object], settings: Settings, token: str) -> str:
    """A one-time link that signs a browser in with ``token`` (exchanged once, then dead)."""
    from console.login import mint_login_link

    code = mint_login_link(str(info["redis_url"]), settings.namespace, token)
    return f"{info['console_url']}/login#code={code}"


def up(
    settings: Settings,
    *,
    kafka: str | None,
    redis_url: str | None,
    simulate: bool,
    ready_file: Path | None,
    run_dir: Path | None,
) -> int:
    """Run the whole system until Ctrl-C or SIGTERM."""
    stack = Stack(settings, kafka=kafka, redis_url=redis_url, simulate=simulate, run_dir=run_dir)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    try:
        info = stack.start()
        tokens = info["tokens"]
        assert isinstance(tokens, dict)
        tokens_file = stack.run_dir / "tokens.json"
        tokens_file.write_text(json.dumps(tokens, indent=2))
        tokens_file.chmod(0o600)
        crew = tokens["crew"]
        first_unit = next(iter(crew)) if crew else None
        print(f"\nGoldenTime is up ({info['city']}).", flush=True)
        # one-time sign-in links: the code is in the fragment, the token in no URL at all
        console_link = _login_link(info, stack.settings, str(tokens["dispatcher"]))
        print(f"  Console:     {console_link}  (signs in once; then {info['console_url']}/login)")
        if first_unit:
            crew_url = _login_link(info, stack.settings, str(crew[first_unit]))
            print(f"  Crew view:   {crew_url}  ({first_unit})")
        print(f"  Public page: {info['console_url']}/public")
        print(f"  Video relay: {info['video_url']}  (WS /ws/video/<camera_id>?reason=…)")
        print(f"  Kafka:       {info['kafka_bootstrap']}   Redis: {info['redis_url']}")
        print(f"  Tokens:      {tokens_file}  (dispatcher, supervisor, service, one per crew)")
        print(f"  Logs:        {stack.run_dir}")
        if stack.simulate:
            s = stack.settings
            what = "a normal day"
            if s.sim_scenario:
                what = f"scenario {s.sim_scenario} on {what}"
            start = s.sim_start or ("the scenario's start" if s.sim_scenario else "now")
            print(
                f"  Simulator:   {what}, from {start} at {s.sim_speed:g}× "
                f"(clock in Redis {s.namespace}:scenario; goldentime scenario --list)"
            )
        if stack.broker:
            print(
                "  Note: the embedded broker keeps data in memory only; production durability "
                "comes from Kafka replication (compose.yaml)."
            )
        print("Press Ctrl-C to stop.", flush=True)
        if ready_file:
            tmp = ready_file.with_suffix(".tmp")
            tmp.write_text(json.dumps(info, indent=2))
            tmp.replace(ready_file)
        stack.watch()
    except KeyboardInterrupt:
        print("\nstopping…", flush=True)
    except StartupError as exc:
        print(f"startup failed: {exc}; logs in {stack.run_dir}", file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        stack.stop()
        if ready_file and ready_file.exists():
            ready_file.unlink()
    return 0
