"""The entry point: settings from GT_ variables, a real relay process, ingest tokens."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx
import pytest

from access import Role, TokenAuthority
from stack.embedded import EmbeddedCache, free_port
from video_relay.__main__ import main
from video_relay.cameras import CameraRegistry
from video_relay.service import ingest_secret_for

SECRET = "entry-point-test-secret-0123456789"


def test_ingest_token_of_a_city_camera_is_printed(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--ingest-token", "DEMO-CAM-000"], {"GT_AUTH_SECRET": SECRET}) == 0
    printed = capsys.readouterr().out.strip()
    from geo import load_city

    registry = CameraRegistry(load_city(None).cameras, ingest_secret_for(SECRET))
    assert registry.verify_ingest("DEMO-CAM-000", printed).id == "DEMO-CAM-000"


def test_without_a_secret_the_relay_does_not_start(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--no-city"], {"GT_AUTH_SECRET": "short"}) == 2
    assert "GT_AUTH_SECRET" in capsys.readouterr().err


@pytest.mark.integration
def test_relay_process_serves_with_deployment_settings(cache: EmbeddedCache) -> None:
    port = free_port()
    env = {
        **os.environ,
        "GT_AUTH_SECRET": SECRET,
        "GT_REDIS_URL": cache.url,
        "GT_TOPIC_PREFIX": "entry.",
        "GT_LOG_LEVEL": "warning",
    }
    cmd = [sys.executable, "-m", "video_relay", "--no-city", "--port", str(port)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "relay did not start"
            time.sleep(0.1)
        token = TokenAuthority(SECRET.encode()).mint(Role.DISPATCHER, "d")
        listed = httpx.get(
            f"{base}/api/video/cameras", headers={"Authorization": f"Bearer {token}"}
        )
        assert listed.json() == {"cameras": [], "count": 0}
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=10)
    # uvicorn shuts down gracefully, then re-raises SIGTERM so the exit status tells why.
    assert proc.returncode in (0, -15), output
