"""Pull mode over real sockets: the relay reads an MJPEG camera only while someone watches."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from video_relay_kit import CITY_HALL, SAMPLE_CAMERAS, StartRelay
from websockets.asyncio.client import connect

from access import Role
from tests.console.conftest import bearer
from video_relay.jpeg import read_stamp, synthetic_jpeg
from video_relay.mjpeg import encode_part

pytestmark = pytest.mark.integration


class MjpegCamera:
    """A camera serving MJPEG over HTTP at ``fps``; counts its connections and frames."""

    def __init__(self, fps: float, with_length: bool) -> None:
        self.fps = fps
        self.with_length = with_length
        self.connections = 0
        self.open_streams = 0
        self.frames_sent = 0
        self.server: asyncio.Server | None = None

    async def start(self) -> str:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/video.mjpg"

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.open_streams += 1
        try:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(
                b"HTTP/1.1 200 OK\r\n"
                b"Content-Type: multipart/x-mixed-replace; boundary=gtcam\r\n"
                b"Cache-Control: no-cache\r\nConnection: close\r\n\r\n"
            )
            seq = 0
            while True:
                frame = synthetic_jpeg({"seq": seq, "t": time.perf_counter()}, 4000)
                writer.write(encode_part(frame, "gtcam", with_length=self.with_length))
                await writer.drain()
                self.frames_sent += 1
                seq += 1
                await asyncio.sleep(1 / self.fps)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self.open_streams -= 1
            writer.close()


@pytest.mark.parametrize("with_length", [True, False])
async def test_relay_pulls_mjpeg_only_while_watched(
    start_relay: StartRelay, with_length: bool
) -> None:
    camera = MjpegCamera(fps=20, with_length=with_length)
    url = await camera.start()
    relay = await start_relay(
        SAMPLE_CAMERAS,
        pull_urls=((CITY_HALL.id, url),),
        grace_s=0.3,
        janitor_interval_s=0.05,
        pull_reconnect_s=0.1,
    )
    await asyncio.sleep(0.3)
    assert camera.connections == 0  # nobody watches: nothing pulled
    token = relay.token(Role.DISPATCHER)
    viewer = await connect(
        relay.ws(f"/ws/video/{CITY_HALL.id}?reason=drill"), additional_headers=bearer(token)
    )
    assert json.loads(await viewer.recv())["type"] == "session"
    seqs = []
    for _ in range(10):
        stamp = read_stamp(await asyncio.wait_for(viewer.recv(), 3))  # type: ignore[arg-type]
        assert stamp is not None
        seqs.append(stamp["seq"])
    assert seqs == sorted(seqs) and camera.connections == 1
    await viewer.close()
    for _ in range(100):  # grace period, then the pull stops
        if camera.open_streams == 0:
            break
        await asyncio.sleep(0.05)
    assert camera.open_streams == 0
    sent = camera.frames_sent
    await asyncio.sleep(0.3)
    assert camera.frames_sent == sent
    await camera.stop()
