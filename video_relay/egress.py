"""Where the relay may connect when it pulls a camera: an allow-list checked at every hop.

A pull URL is given by whoever registers a camera, so without a check a dispatcher or a
service token could make the relay fetch an internal address (a cloud metadata service,
an admin port on loopback, a host on the private network). The :class:`PullEgress`
policy admits a URL only when its host is a configured camera host or an address in a
configured network, and admits a connection only when every address the host resolves
to is public or inside a configured network. Cloud metadata addresses are never
admitted. The check runs three times: when a camera is registered (the URL as written),
on every request the pull client sends (so every redirect hop), and when a connection
opens (the addresses DNS returned at that moment, which are the ones dialled, so a name
that resolves differently the second time cannot slip through).
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import anyio
import httpcore
import httpx

from video_relay.errors import PullRefused

__all__ = ["METADATA_ADDRESSES", "GuardedTransport", "PullEgress", "pull_client"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "169.254.170.2", "100.100.100.200", "fd00:ec2::254")
)
"""Cloud instance metadata services (AWS, ECS, Alibaba, AWS IPv6): never a camera."""


def _address(text: str) -> IPAddress | None:
    try:
        address = ipaddress.ip_address(text.strip("[]").split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


@dataclass(frozen=True, slots=True)
class PullEgress:
    """Camera hosts and networks the relay may pull from; everything else is refused."""

    hosts: frozenset[str] = frozenset()
    """Host names allowed in a pull URL (exact, or ``*.example.org`` for its subdomains)."""
    networks: tuple[IPNetwork, ...] = ()
    """Networks whose addresses are allowed, including private or loopback ones."""

    @classmethod
    def of(cls, hosts: Iterable[str] = (), networks: Iterable[str] = ()) -> PullEgress:
        """Build from configured text: host names and CIDR networks (ValueError if malformed)."""
        parsed = tuple(ipaddress.ip_network(n.strip(), strict=False) for n in networks if n)
        return cls(frozenset(h.strip().lower().rstrip(".") for h in hosts if h.strip()), parsed)

    def with_urls(self, urls: Iterable[str]) -> PullEgress:
        """This policy plus the hosts of URLs an operator configured (they are trusted)."""
        hosts, networks = set(self.hosts), list(self.networks)
        for url in urls:
            host = (urlsplit(url).hostname or "").lower()
            address = _address(host)
            if address is not None:
                networks.append(ipaddress.ip_network(address))
            elif host:
                hosts.add(host)
        return PullEgress(frozenset(hosts), tuple(networks))

    def check_url(self, url: str) -> None:
        """Raise :class:`PullRefused` unless ``url`` is http(s) to an allowed host."""
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 — raises ValueError on a malformed port
        except ValueError as exc:
            raise PullRefused(f"pull URL is malformed: {exc}") from None
        if parts.scheme not in ("http", "https"):
            raise PullRefused("pull URL must be http or https")
        host = (parts.hostname or "").lower().rstrip(".")
        if not host:
            raise PullRefused("pull URL has no host")
        self.check_host(host)

    def check_host(self, host: str) -> None:
        """Raise :class:`PullRefused` unless ``host`` is an allowed name or address."""
        address = _address(host)
        if address is not None:
            self.check_address(address)
        elif not self._host_allowed(host.lower().rstrip(".")):
            raise PullRefused(f"host {host!r} is not an allowed camera host")

    def check_address(self, address: IPAddress) -> None:
        """Raise :class:`PullRefused` unless the relay may connect to ``address``."""
        if address in METADATA_ADDRESSES:
            raise PullRefused(f"address {address} is a cloud metadata service")
        if any(address in network for network in self.networks):
            return
        if address.is_loopback:
            raise PullRefused(f"address {address} is loopback")
        if address.is_link_local:
            raise PullRefused(f"address {address} is link-local")
        if address.is_private:
            raise PullRefused(f"address {address} is private")
        if not address.is_global or address.is_multicast:
            raise PullRefused(f"address {address} is not a public unicast address")

    def _host_allowed(self, host: str) -> bool:
        if host in self.hosts:
            return True
        return any(p.startswith("*.") and host.endswith(p[1:]) for p in self.hosts)


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves a host once, checks every address, and dials only a checked address."""

    def __init__(self, egress: PullEgress) -> None:
        self._egress = egress
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 — httpcore's interface
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host!r}: {exc}") from exc
        addresses = [str(info[4][0]) for info in infos]
        if not addresses:
            raise httpcore.ConnectError(f"{host!r} resolves to no address")
        for text in addresses:  # every answer, so a mixed answer cannot pick a bad one later
            address = _address(text)
            if address is None:
                raise PullRefused(f"{host!r} resolved to {text!r}, not an address")
            self._egress.check_address(address)
        return await self._inner.connect_tcp(
            addresses[0], port, timeout, local_address, socket_options
        )

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 — httpcore's interface
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise PullRefused("pulling over a unix socket is not allowed")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """An httpx transport that checks each request's host and each connection's address."""

    def __init__(self, egress: PullEgress) -> None:
        super().__init__(trust_env=False)  # no proxy from the environment: it would dial for us
        self._egress = egress
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl.create_default_context(),
            network_backend=_GuardedBackend(egress),
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Refuse a request (a first one or a redirect hop) whose URL is not allowed."""
        self._egress.check_url(str(request.url))
        return await super().handle_async_request(request)


def pull_client(egress: PullEgress, timeout: httpx.Timeout) -> httpx.AsyncClient:
    """The client the relay pulls cameras with: redirects followed, each hop checked."""
    return httpx.AsyncClient(
        transport=GuardedTransport(egress),
        timeout=timeout,
        follow_redirects=True,
        max_redirects=5,
        trust_env=False,
    )
