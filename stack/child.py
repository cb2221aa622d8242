"""A child process that lives exactly as long as its parent.

The worker runs its follow-up stage (``streams.follow``) as a child so that every way of
starting a worker (``goldentime up``, the tests, the benchmarks, a container) gets it,
on another core. The child is restarted if it exits on its own, stopped (SIGTERM, then
SIGKILL) when the worker stops, and, should the worker be killed outright, stops itself:
it asks the kernel for SIGTERM when its parent dies (Linux ``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import signal
import subprocess
import sys
import threading
import time

log = logging.getLogger("goldentime.child")

PR_SET_PDEATHSIG = 1
RESTART_DELAY_S = 1.0
STOP_TIMEOUT_S = 15.0


class Child:
    """Runs ``argv`` (output to ours) from a thread that restarts it until :meth:`stop`."""

    def __init__(self, name: str, argv: list[str]) -> None:
        self.name = name
        self._argv = argv
        self._stopping = threading.Event()
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        # the thread that starts the child must outlive it: the kernel signals the child
        # when that thread (not only the process) ends
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    @property
    def pid(self) -> int | None:
        """The running child's pid."""
        proc = self._proc
        return proc.pid if proc is not None and proc.poll() is None else None

    def start(self) -> None:
        """Start the child (and restart it whenever it exits, until :meth:`stop`)."""
        self._thread.start()

    def _run(self) -> None:
        while not self._stopping.is_set():
            with self._lock:
                if self._stopping.is_set():
                    return
                self._proc = subprocess.Popen(self._argv)  # our stdout and stderr
            code = self._proc.wait()
            if self._stopping.is_set():
                return
            log.error("%s exited with %s; restarting in %.0f s", self.name, code, RESTART_DELAY_S)
            time.sleep(RESTART_DELAY_S)

    def stop(self, timeout_s: float = STOP_TIMEOUT_S) -> None:
        """Stop the child: SIGTERM, and SIGKILL if it has not exited within ``timeout_s``."""
        with self._lock:
            self._stopping.set()
            proc = self._proc
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            log.warning("%s did not stop within %.0f s; killing it", self.name, timeout_s)
            proc.kill()
            proc.wait()


def die_with_parent(parent_pid: int) -> None:
    """Ask for SIGTERM when the parent dies; exit now if it already has (Linux only: on
    other systems the child outlives a parent killed outright, as any process would)."""
    libc_name = ctypes.util.find_library("c")
    if sys.platform.startswith("linux") and libc_name:
        libc = ctypes.CDLL(libc_name, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM) != 0:
            log.warning("cannot ask to be stopped with the parent (errno %d)", ctypes.get_errno())
    if os.getppid() != parent_pid:  # the parent died before the request took effect
        raise SystemExit(f"parent {parent_pid} is gone")
