"""Named background tasks owned by a lifespan: restarted after a crash, cancelled at the end."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

__all__ = ["TaskSupervisor"]

log = logging.getLogger(__name__)


class TaskSupervisor:
    """Runs named coroutines; one that raises is logged and restarted after a back-off."""

    def __init__(self, restart_after_s: float = 1.0) -> None:
        self._restart_after_s = restart_after_s
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self.crashes: dict[str, int] = {}

    def start(
        self, name: str, factory: Callable[[], Awaitable[None]], *, restart: bool = True
    ) -> None:
        """Run ``factory()`` as task ``name``; replace a finished task of the same name."""
        old = self._tasks.get(name)
        if old is not None and not old.done():
            raise RuntimeError(f"task {name!r} is already running")
        self._tasks[name] = asyncio.create_task(self._run(name, factory, restart), name=name)

    async def _run(self, name: str, factory: Callable[[], Awaitable[None]], restart: bool) -> None:
        while True:
            try:
                await factory()
                return
            except asyncio.CancelledError:
                raise
            except Exception:
                self.crashes[name] = self.crashes.get(name, 0) + 1
                log.exception("background task %s crashed", name)
                if not restart:
                    return
                await asyncio.sleep(self._restart_after_s)

    def running(self, name: str) -> bool:
        """True while task ``name`` runs."""
        task = self._tasks.get(name)
        return task is not None and not task.done()

    def names(self) -> list[str]:
        """Names of the tasks running now."""
        return [name for name, task in self._tasks.items() if not task.done()]

    async def stop(self, name: str) -> None:
        """Cancel task ``name`` and wait for it."""
        task = self._tasks.pop(name, None)
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def stop_all(self) -> None:
        """Cancel every task and wait for them all."""
        tasks = list(self._tasks.values())
        self._tasks.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
