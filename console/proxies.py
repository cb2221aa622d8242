"""The real client address behind the deployment's reverse proxies (rate limits, audit).

Behind a reverse proxy every request arrives from the proxy's address, so rate limits
would put every citizen in one bucket and the audit would name the proxy. A proxy
reports the client in ``X-Forwarded-For`` (or ``Forwarded``, RFC 7239), but anyone can
send those headers: they are believed only when the peer is one of the configured
trusted proxies, and read from the right, skipping trusted hops, so a client cannot
prepend an address of its choosing.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from contextvars import ContextVar

from console.ratelimit import ASGIApp, Receive, Scope, Send

__all__ = ["CLIENT_ADDRESS", "TrustedProxies", "forwarded_chain", "real_client"]

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

CLIENT_ADDRESS: ContextVar[str] = ContextVar("client_address", default="")
"""The real client address of the request being served (read by the audit log)."""


def _address(text: str) -> str | None:
    """The IP address in a header element (``1.2.3.4``, ``1.2.3.4:80``, ``"[::1]:80"``)."""
    text = text.strip().strip('"')
    if text.startswith("["):
        text = text[1:].split("]", 1)[0]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def forwarded_chain(headers: Iterable[tuple[bytes, bytes]], header: str) -> list[str | None]:
    """The hops a header lists, client first (None for a hop that is not an address)."""
    name = header.lower().encode()
    chain: list[str | None] = []
    for key, raw in headers:
        if key.lower() != name:
            continue
        for element in raw.decode("latin-1").split(","):
            if header.lower() == "forwarded":
                fors = [
                    pair.split("=", 1)[1]
                    for pair in element.split(";")
                    if pair.strip().lower().startswith("for=")
                ]
                chain.append(_address(fors[0]) if fors else None)
            elif element.strip():
                chain.append(_address(element))
    return chain


def real_client(peer: str, chain: Sequence[str | None], trusted: Sequence[IPNetwork]) -> str:
    """The client address: the peer unless it is trusted, then the nearest untrusted hop."""

    def is_trusted(address: str | None) -> bool:
        if address is None:
            return False
        ip = ipaddress.ip_address(address)
        return any(ip in network for network in trusted)

    if not is_trusted(peer):
        return peer
    nearest = peer
    for hop in reversed(chain):
        if hop is None:
            return nearest  # an obfuscated or malformed hop: the proxy that added it
        if not is_trusted(hop):
            return hop
        nearest = hop
    return nearest


class TrustedProxies:
    """ASGI middleware putting the real client address (and scheme) into the scope."""

    def __init__(
        self, app: ASGIApp, networks: Iterable[str] = (), header: str = "x-forwarded-for"
    ) -> None:
        if header.lower() not in ("x-forwarded-for", "forwarded"):
            raise ValueError(f"proxy header {header!r} is not x-forwarded-for or forwarded")
        self.app = app
        self.header = header.lower()
        self.trusted = tuple(ipaddress.ip_network(n.strip(), strict=False) for n in networks)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            client = scope.get("client") or ("", 0)
            peer = str(client[0])
            address = peer
            if self.trusted and _address(peer) is not None:
                headers = scope.get("headers", ())
                address = real_client(peer, forwarded_chain(headers, self.header), self.trusted)
                if address != peer:
                    scope["client"] = (address, 0)
                    scheme = _forwarded_scheme(headers, self.header)
                    if scheme is not None:
                        secure = scheme == "https"
                        if scope["type"] == "websocket":
                            scope["scheme"] = "wss" if secure else "ws"
                        else:
                            scope["scheme"] = scheme
            CLIENT_ADDRESS.set(address)
        await self.app(scope, receive, send)


def _forwarded_scheme(headers: Iterable[tuple[bytes, bytes]], header: str) -> str | None:
    """The scheme the client used, as the nearest proxy reports it."""
    for key, raw in headers:
        text = raw.decode("latin-1").lower()
        if header == "x-forwarded-for" and key.lower() == b"x-forwarded-proto":
            value = text.split(",")[-1].strip()
            return value if value in ("http", "https") else None
        if header == "forwarded" and key.lower() == b"forwarded":
            last = text.split(",")[-1]
            for pair in last.split(";"):
                name, _, value = pair.strip().partition("=")
                if name == "proto" and value.strip('"') in ("http", "https"):
                    return value.strip('"')
    return None
