"""A throwaway GoldenTime stack for benchmarks: embedded broker and cache, worker (and
console) as real processes, a unique topic prefix. Used with ``with BenchStack(...) as s``."""

from __future__ import annotations

import sys
import tempfile
import uuid
from pathlib import Path
from types import TracebackType
from typing import Self

from stack.embedded import (
    EmbeddedBroker,
    EmbeddedCache,
    local_settings,
    spawn,
    stop_process,
)
from stack.settings import Settings
from stack.supervisor import child_env, console_ready, wait_until, worker_ready
from streams.topics import Topics, ensure_topics

REPO = Path(__file__).resolve().parent.parent


class BenchStack:
    """Broker, cache and worker (optionally a console) for one benchmark run."""

    def __init__(
        self, data_dir: Path | None, *, console: bool = False, partitions: int = 4
    ) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="gt-bench-"))
        self.broker = EmbeddedBroker(self.dir)
        self.cache = EmbeddedCache(self.dir)
        self._data_dir, self._console, self._partitions = data_dir, console, partitions
        self.procs: dict[str, object] = {}
        self.settings = Settings()

    def __enter__(self) -> Self:
        self.broker.start()
        self.cache.start()
        self.settings = local_settings(
            self.broker.bootstrap,
            self.cache.url,
            self.dir,
            topic_prefix=f"b{uuid.uuid4().hex[:8]}-",
            partitions=self._partitions,
            data_dir=self._data_dir,
            log_level="warning",
        )
        s = self.settings
        ensure_topics(s.kafka_bootstrap, Topics(s.topic_prefix), s.partitions)
        env = {**child_env(s), "PYTHONPATH": str(REPO)}
        worker = spawn([sys.executable, "-m", "stack.cli", "worker"], self.dir / "worker.log", env)
        self.procs["worker"] = worker
        if self._console:
            self.procs["console"] = spawn(
                [sys.executable, "-m", "stack.cli", "console"], self.dir / "console.log", env
            )
            wait_until(lambda: console_ready(s.console_url), "console", 60)
        wait_until(lambda: worker_ready(s.redis_url, s.namespace, s.worker_id), "worker", 90)
        return self

    @property
    def topics(self) -> Topics:
        """This run's topic names."""
        return Topics(self.settings.topic_prefix)

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for proc in self.procs.values():
            stop_process(proc)  # type: ignore[arg-type]
        self.cache.stop()
        self.broker.stop()
