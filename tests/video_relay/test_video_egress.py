"""No SSRF: a camera's pull URL reaches only allowed hosts, checked as written, after DNS
resolution and on every redirect (real sockets: a refused target never sees a connection)."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from video_relay_kit import StartRelay
from websockets.asyncio.client import connect

from access import Role
from tests.console.conftest import bearer
from video_relay.egress import PullEgress, pull_client
from video_relay.errors import PullRefused
from video_relay.jpeg import synthetic_jpeg
from video_relay.mjpeg import encode_part

CAMERA_VLAN = PullEgress.of(hosts=["cams.seoul.example"], networks=["10.20.0.0/16"])
TIMEOUT = httpx.Timeout(3.0)


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://127.0.0.1:8080/video.mjpg", "loopback"),
        ("http://[::1]/video.mjpg", "loopback"),
        ("http://[::ffff:127.0.0.1]/video.mjpg", "loopback"),
        ("http://169.254.1.7/video.mjpg", "link-local"),
        ("http://169.254.169.254/latest/meta-data/", "metadata"),
        ("http://[fd00:ec2::254]/latest/meta-data/", "metadata"),
        ("http://10.0.0.5/video.mjpg", "private"),
        ("http://192.168.1.20/video.mjpg", "private"),
        ("http://172.16.0.9/video.mjpg", "private"),
        ("http://0.0.0.0/video.mjpg", "private"),
        ("http://224.0.0.1/video.mjpg", "public unicast"),
        ("http://internal.example/video.mjpg", "not an allowed camera host"),
        ("http://cams.seoul.example.evil.example/", "not an allowed camera host"),
        ("file:///etc/passwd", "http or https"),
        ("gopher://cams.seoul.example/", "http or https"),
        ("http:///video.mjpg", "no host"),
        ("http://cams.seoul.example:99999/", "malformed"),
    ],
)
def test_a_pull_url_outside_the_allow_list_is_refused(url: str, why: str) -> None:
    with pytest.raises(PullRefused, match=why):
        CAMERA_VLAN.check_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://cams.seoul.example/video.mjpg",
        "https://CAMS.seoul.example:8443/a?b=c",
        "http://10.20.3.4/video.mjpg",
        "http://user:pw@10.20.0.1/video.mjpg",
    ],
)
def test_a_pull_url_to_an_allowed_host_or_network_passes(url: str) -> None:
    CAMERA_VLAN.check_url(url)


def test_wildcard_hosts_cover_subdomains_only() -> None:
    egress = PullEgress.of(hosts=["*.cams.example"])
    egress.check_url("http://a.cams.example/x")
    with pytest.raises(PullRefused):
        egress.check_url("http://cams.example/x")
    with pytest.raises(PullRefused):
        egress.check_url("http://evilcams.example/x")


def test_metadata_is_refused_even_inside_an_allowed_network() -> None:
    egress = PullEgress.of(networks=["169.254.0.0/16"])
    egress.check_address(ipaddress.ip_address("169.254.1.1"))
    with pytest.raises(PullRefused, match="metadata"):
        egress.check_address(ipaddress.ip_address("169.254.169.254"))


def test_an_empty_policy_refuses_every_host() -> None:
    with pytest.raises(PullRefused):
        PullEgress().check_url("http://example.org/video.mjpg")


@given(st.text(max_size=200))
def test_checking_any_text_either_passes_or_refuses(url: str) -> None:
    with contextlib.suppress(PullRefused):
        CAMERA_VLAN.check_url(url)


class HttpServer:
    """A tiny HTTP server on ``host`` answering with a redirect or an MJPEG stream."""

    def __init__(self, host: str = "127.0.0.1", redirect_to: str | None = None) -> None:
        self.host = host
        self.redirect_to = redirect_to
        self.connections = 0
        self.server: asyncio.Server | None = None

    async def start(self) -> str:
        self.server = await asyncio.start_server(self._serve, self.host, 0)
        return f"http://{self.host}:{self.server.sockets[0].getsockname()[1]}"

    @property
    def port(self) -> int:
        assert self.server is not None
        return int(self.server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            await reader.readuntil(b"\r\n\r\n")
            if self.redirect_to is not None:
                writer.write(
                    b"HTTP/1.1 302 Found\r\nLocation: "
                    + self.redirect_to.encode()
                    + b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                )
            else:
                writer.write(
                    b"HTTP/1.1 200 OK\r\n"
                    b"Content-Type: multipart/x-mixed-replace; boundary=gtcam\r\n"
                    b"Connection: close\r\n\r\n"
                )
                for seq in range(200):
                    writer.write(encode_part(synthetic_jpeg({"seq": seq}, 2000), "gtcam"))
                    await writer.drain()
                    await asyncio.sleep(0.02)
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()


async def test_an_allowed_network_is_pulled_over_a_real_socket() -> None:
    camera = HttpServer()
    base = await camera.start()
    egress = PullEgress.of(networks=["127.0.0.1/32"])
    async with (
        pull_client(egress, TIMEOUT) as client,
        client.stream("GET", f"{base}/video.mjpg") as response,
    ):
        assert response.status_code == 200
    assert camera.connections == 1
    await camera.stop()


async def test_loopback_is_refused_before_any_connection() -> None:
    camera = HttpServer()
    base = await camera.start()
    async with pull_client(PullEgress(), TIMEOUT) as client:
        with pytest.raises(PullRefused, match="loopback"):
            await client.get(f"{base}/video.mjpg")
    assert camera.connections == 0
    await camera.stop()


async def test_an_allowed_name_that_resolves_to_loopback_is_refused_after_dns() -> None:
    camera = HttpServer()
    await camera.start()
    egress = PullEgress.of(hosts=["localhost"])  # the name passes; its address must not
    egress.check_url(f"http://localhost:{camera.port}/video.mjpg")
    async with pull_client(egress, TIMEOUT) as client:
        with pytest.raises(PullRefused, match="loopback"):
            await client.get(f"http://localhost:{camera.port}/video.mjpg")
    assert camera.connections == 0
    await camera.stop()


@pytest.mark.parametrize(
    "target",
    ["http://127.0.0.2:{port}/video.mjpg", "http://169.254.169.254/latest/meta-data/"],
)
async def test_a_redirect_to_a_refused_address_is_not_followed(target: str) -> None:
    inner = HttpServer(host="127.0.0.2")
    await inner.start()
    outer = HttpServer(redirect_to=target.format(port=inner.port))
    base = await outer.start()
    async with pull_client(PullEgress.of(networks=["127.0.0.1/32"]), TIMEOUT) as client:
        with pytest.raises(PullRefused):
            await client.get(f"{base}/video.mjpg")
    assert outer.connections == 1 and inner.connections == 0
    await outer.stop()
    await inner.stop()


async def test_a_redirect_within_the_allow_list_is_followed() -> None:
    inner = HttpServer()
    inner_base = await inner.start()
    outer = HttpServer(redirect_to=f"{inner_base}/video.mjpg")
    base = await outer.start()
    egress = PullEgress.of(networks=["127.0.0.1/32"])
    async with (
        pull_client(egress, TIMEOUT) as client,
        client.stream("GET", f"{base}/video.mjpg") as response,
    ):
        assert response.status_code == 200
    assert inner.connections == 1
    await outer.stop()
    await inner.stop()


@pytest.mark.integration
async def test_registering_a_camera_checks_its_pull_url(start_relay: StartRelay) -> None:
    camera = HttpServer()
    base = await camera.start()
    relay = await start_relay(pull_allowed_networks=("127.0.0.1/32",))
    dispatcher = {"Authorization": f"Bearer {relay.token(Role.SERVICE, 'drones')}"}
    drone = {"id": "DRONE-1", "kind": "drone", "lon": 126.978, "lat": 37.5665}
    async with httpx.AsyncClient(base_url=relay.http) as client:
        for url in (
            "http://169.254.169.254/latest/meta-data/",
            "http://10.0.0.5/video.mjpg",
            f"http://localhost:{camera.port}/video.mjpg",
            f"http://127.0.0.3:{camera.port}/video.mjpg",
        ):
            body = {**drone, "pull_url": url}
            refused = await client.post("/api/video/cameras", json=body, headers=dispatcher)
            assert refused.status_code == 422, url
        body = {**drone, "pull_url": f"{base}/video.mjpg"}
        created = await client.post("/api/video/cameras", json=body, headers=dispatcher)
        assert created.status_code == 201
    token = relay.token(Role.DISPATCHER)
    viewer = await connect(
        relay.ws("/ws/video/DRONE-1?reason=drill"), additional_headers=bearer(token)
    )
    assert json.loads(await viewer.recv())["type"] == "session"
    assert isinstance(await asyncio.wait_for(viewer.recv(), 5), bytes)
    assert camera.connections >= 1
    await viewer.close()
    await camera.stop()
