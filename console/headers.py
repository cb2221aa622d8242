"""Security headers on every HTTP response: a strict Content-Security-Policy and friends.

The pages run only scripts served from this origin (no inline script, no ``eval``), may
not be framed (clickjacking), send no Referer to other sites, and the browser may not
guess a content type. A page's sockets reach this origin and the video relay's port on
the same host, nothing else.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from console.ratelimit import ASGIApp, Message, Receive, Scope, Send

__all__ = ["SecurityHeaders", "content_security_policy"]

_HOSTNAME = re.compile(r"^(?:[A-Za-z0-9-]{1,63}\.)*[A-Za-z0-9-]{1,63}$|^\[[0-9A-Fa-f:.]+\]$")

FIXED_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(self)"),
)


def content_security_policy(hostname: str | None, video_port: int | None) -> str:
    """The policy of every page; ``hostname`` is the one the browser used to reach us."""
    connect = ["'self'"]
    if video_port and hostname and _HOSTNAME.match(hostname):
        connect += [f"ws://{hostname}:{video_port}", f"wss://{hostname}:{video_port}"]
    directives = {
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],  # Leaflet positions panes with styles
        "img-src": ["'self'", "data:", "blob:"],  # camera frames are shown as blob: URLs
        "font-src": ["'self'"],
        "connect-src": connect,
        "manifest-src": ["'self'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "object-src": ["'none'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def _hostname(headers: Iterable[tuple[bytes, bytes]]) -> str | None:
    for name, value in headers:
        if name == b"host":
            host = value.decode("latin-1")
            if host.startswith("["):
                return host.split("]", 1)[0] + "]"
            return host.rsplit(":", 1)[0] if ":" in host else host
    return None


class SecurityHeaders:
    """ASGI middleware adding the security headers to every HTTP response."""

    def __init__(self, app: ASGIApp, video_port: int | None = None) -> None:
        self.app = app
        self.video_port = video_port

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = content_security_policy(_hostname(scope.get("headers", ())), self.video_port)
        tls = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if k.lower() not in _OURS  # ours win over a route's own
                ]
                headers += [*FIXED_HEADERS, (b"content-security-policy", csp.encode())]
                if tls:
                    headers.append((b"strict-transport-security", b"max-age=31536000"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


_OURS = frozenset(
    [name for name, _ in FIXED_HEADERS] + [b"content-security-policy", b"strict-transport-security"]
)
