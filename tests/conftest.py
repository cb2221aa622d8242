"""Session-wide real services: the embedded broker and cache start once; each test gets
its own topic prefix (and so its own topics, consumer group and Redis namespace)."""

from __future__ import annotations

import os
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

from stack.embedded import EmbeddedBroker, EmbeddedCache, local_settings, spawn, stop_process
from stack.settings import DEFAULT_SEOUL_DATA, Settings
from stack.supervisor import StartupError, child_env, console_ready, wait_until, worker_ready
from streams.topics import Topics, ensure_topics

REPO = Path(__file__).resolve().parent.parent

# Property tests check behaviour, not speed: on a shared 2-core machine running the broker
# and browser tests beside them, one example can exceed Hypothesis's 200 ms default deadline.
hypothesis_settings.register_profile("goldentime", deadline=None)
hypothesis_settings.load_profile("goldentime")


def seoul_data_dir() -> Path | None:
    """The Seoul data directory when present (GT_DATA_DIR or ../shared/data/seoul)."""
    path = Path(os.environ.get("GT_DATA_DIR", DEFAULT_SEOUL_DATA))
    return path if (path / "seoul_nodelink_nodes.csv").exists() else None


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedBroker]:
    """The real Tansu broker, started once per test session."""
    with EmbeddedBroker(tmp_path_factory.mktemp("tansu")) as b:
        yield b


@pytest.fixture(scope="session")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedCache]:
    """The real Valkey cache, started once per test session."""
    with EmbeddedCache(tmp_path_factory.mktemp("valkey")) as c:
        yield c


@pytest.fixture
def settings(broker: EmbeddedBroker, cache: EmbeddedCache, tmp_path: Path) -> Settings:
    """Settings of a fresh deployment (unique topic prefix) on the session's services."""
    prefix = f"t{uuid.uuid4().hex[:10]}-"
    s = local_settings(broker.bootstrap, cache.url, tmp_path, topic_prefix=prefix)
    ensure_topics(s.kafka_bootstrap, Topics(prefix), s.partitions)
    return s


class Process:
    """A GoldenTime process (worker or console) run as a real child process."""

    def __init__(self, name: str, settings: Settings, log_dir: Path) -> None:
        self.name, self.settings, self.log_path = name, settings, log_dir / f"{name}.log"
        self.proc = spawn(
            [sys.executable, "-m", "stack.cli", name],
            self.log_path,
            {**child_env(settings), "PYTHONPATH": str(REPO)},
        )

    def log(self) -> str:
        """What the process printed."""
        return self.log_path.read_text(errors="replace")

    def alive(self) -> bool:
        """True while the process runs."""
        return self.proc.poll() is None

    def stop(self) -> int:
        """Stop it (SIGTERM, then SIGKILL)."""
        return stop_process(self.proc)

    def kill(self) -> None:
        """SIGKILL it, as a crash would."""
        self.proc.kill()
        self.proc.wait(10)


def start_worker(settings: Settings, log_dir: Path, timeout_s: float = 60) -> Process:
    """Start a worker and wait until it has partitions assigned."""
    proc = Process("worker", settings, log_dir)
    try:
        wait_until(
            lambda: (
                worker_ready(settings.redis_url, settings.namespace, settings.worker_id)
                and proc.alive()
            ),
            "worker",
            timeout_s,
        )
    except StartupError:
        proc.stop()
        raise RuntimeError("worker did not start:\n" + proc.log()[-3000:]) from None
    return proc


def start_console(settings: Settings, log_dir: Path, timeout_s: float = 60) -> Process:
    """Start a console server and wait until /readyz answers 200."""
    proc = Process("console", settings, log_dir)
    try:
        wait_until(lambda: console_ready(settings.console_url), "console", timeout_s)
    except StartupError:
        proc.stop()
        raise RuntimeError("console did not start:\n" + proc.log()[-3000:]) from None
    return proc


@pytest.fixture
def worker(settings: Settings, tmp_path: Path) -> Iterator[Process]:
    """A running stream worker for this test's deployment."""
    proc = start_worker(settings, tmp_path)
    yield proc
    proc.stop()


@pytest.fixture
def console(settings: Settings, tmp_path: Path) -> Iterator[Process]:
    """A running console server for this test's deployment."""
    proc = start_console(settings, tmp_path)
    yield proc
    proc.stop()


def wait_for(check: object, timeout_s: float = 10.0, interval_s: float = 0.05) -> object:
    """Poll ``check()`` until it returns something truthy; fail the test otherwise."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = check()  # type: ignore[operator]
        if value:
            return value
        time.sleep(interval_s)
    pytest.fail(f"condition not met within {timeout_s} s")
