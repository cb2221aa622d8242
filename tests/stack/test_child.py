"""The worker's child process (its follow-up stage) lives exactly as long as the worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from stack.child import Child


def wait_for(check: object, timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


def test_a_child_that_exits_is_restarted_and_stop_ends_it(tmp_path: Path) -> None:
    starts = tmp_path / "starts"
    script = f"open({str(starts)!r}, 'a').write('x'); import time; time.sleep(0.3)"
    child = Child("sleeper", [sys.executable, "-c", script])
    child.start()
    assert wait_for(lambda: starts.exists() and len(starts.read_text()) >= 2), "not restarted"
    child.stop(timeout_s=5)
    count = len(starts.read_text())
    time.sleep(1.5)  # past the restart delay
    assert len(starts.read_text()) == count, "restarted after stop"
    assert child.pid is None


def test_stop_terminates_a_running_child() -> None:
    child = Child("long sleeper", [sys.executable, "-c", "import time; time.sleep(60)"])
    child.start()
    assert wait_for(lambda: child.pid is not None)
    pid = child.pid
    assert pid is not None
    child.stop(timeout_s=5)
    assert not alive(pid)


def test_a_child_stops_when_its_parent_is_killed(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    grandchild = (
        "import os, sys, time; from stack.child import die_with_parent; "
        "die_with_parent(int(sys.argv[1])); "
        f"open({str(pid_file)!r}, 'w').write(str(os.getpid())); time.sleep(60)"
    )
    parent = (
        "import os, sys, time; from stack.child import Child; "
        f"Child('c', [sys.executable, '-c', {grandchild!r}, str(os.getpid())]).start(); "
        "time.sleep(60)"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = subprocess.Popen([sys.executable, "-c", parent], env=env)
    try:
        assert wait_for(lambda: pid_file.exists() and pid_file.read_text()), "child not started"
        child_pid = int(pid_file.read_text())
        proc.send_signal(signal.SIGKILL)
        proc.wait(5)
        assert wait_for(lambda: not alive(child_pid)), "the child outlived its killed parent"
    finally:
        proc.kill()
