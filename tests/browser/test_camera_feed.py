"""One click from an incident to a live camera at the scene, through the real stack:
`goldentime up` (broker, cache, worker, console, video relay), a camera pushing JPEG frames
to the relay, and a dispatcher's Chromium. The viewing lands in the relay's audit."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import secrets
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import redis
import websockets
from playwright.async_api import Browser

from geo import load_city
from stack.scripted import ScriptedStack
from stack.settings import Settings
from tests.browser.conftest import new_page, screenshot_path, sign_in
from tests.kafka_io import produce
from video_relay.jpeg import synthetic_jpeg
from video_relay.service import ingest_secret_for

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.integration]
KST = timezone(timedelta(hours=9))


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[dict[str, Any]]:
    secret = secrets.token_urlsafe(32)
    with ScriptedStack(tmp_path, env={"GT_AUTH_SECRET": secret}) as up:
        yield {**up.info, "secret": secret}


async def push_frames(url: str, ingest_token: str, stop: asyncio.Event) -> None:
    auth = {"Authorization": f"Bearer {ingest_token}"}
    async with websockets.connect(url, additional_headers=auth) as ws:
        n = 0
        while not stop.is_set():
            n += 1
            await ws.send(synthetic_jpeg({"n": n}, size_bytes=4000))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(ws.recv(), 0.2)  # pause/resume/hello control messages


async def test_dispatcher_opens_the_scene_camera_with_one_click(
    stack: dict[str, Any], browser: Browser
) -> None:
    city = load_city(Settings.from_env({}).data_dir)
    camera = city.cameras[0]
    call_id = f"call-cam-{secrets.token_hex(4)}"
    produce(
        stack["kafka_bootstrap"],
        "calls",
        [
            (
                call_id.encode(),
                {
                    "id": call_id,
                    "received_at": datetime.now(KST).isoformat(),
                    "location": {"lon": camera.lon + 0.0002, "lat": camera.lat},
                    "category": "fire",
                    "address": "카메라 앞 화재",
                    "caller": {"phone": "+82-10-5555-0000"},
                },
            )
        ],
    )

    key = hmac.new(
        ingest_secret_for(stack["secret"]), b"ingest:" + camera.id.encode(), hashlib.sha256
    ).digest()
    ingest_token = base64.urlsafe_b64encode(key).rstrip(b"=").decode()
    video_ws = stack["video_url"].replace("http", "ws")
    stop = asyncio.Event()
    source = asyncio.create_task(
        push_frames(f"{video_ws}/ws/ingest/{camera.id}", ingest_token, stop)
    )
    try:
        page = await new_page(browser)
        sockets: list[str] = []
        page.on("websocket", lambda ws: sockets.append(ws.url))
        await sign_in(page, stack["console_url"], stack["tokens"]["dispatcher"])
        await page.goto(f"{stack['console_url']}/")
        await page.locator("#incidents li", has_text="카메라 앞 화재").click(timeout=15_000)
        view = page.locator("#detail .cameras li", has_text=camera.id).locator("button")
        await view.click(timeout=15_000)
        await page.wait_for_function(
            "() => (document.querySelector('.feed img') || {}).src?.startsWith('blob:')",
            timeout=15_000,
        )
        assert "live" in await page.locator(".feed-status").inner_text()
        video = [url for url in sockets if "/ws/video/" in url]
        assert video and not any("token" in url for url in sockets), sockets  # never in a URL
        await page.screenshot(path=str(screenshot_path("console-camera")))
        assert page.errors == []  # type: ignore[attr-defined]
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            await source
    r = redis.Redis.from_url(stack["redis_url"])
    audit = r.xrange("gt::audit:video")
    r.close()
    sessions = [{k.decode(): v.decode() for k, v in fields.items()} for _, fields in audit]
    assert any(camera.id in json.dumps(s) for s in sessions), sessions
