"""Rate limits on the public, unauthenticated endpoints (a citizen's page, feed readers).

A token bucket per client address, per console replica: a burst is served, a flood gets
429 (HTTP) or close code 4429 (WebSocket). Authenticated staff routes are not limited here:
a dispatcher mid-incident must never be throttled.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

PUBLIC_PREFIXES = (
    "/api/public/",
    "/alerts/feed",
    "/ws/public",
    "/api/login-links/",
    "/api/session/oidc",
)
WS_RATE_LIMITED = 4429


class TokenBuckets:
    """Token buckets by key, the least recently used forgotten beyond ``max_keys``."""

    def __init__(
        self,
        rate_per_s: float,
        burst: float,
        max_keys: int = 50_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._rate, self._burst, self._max = rate_per_s, burst, max_keys
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def allow(self, key: str) -> tuple[bool, float]:
        """Take one token for ``key``: (allowed, seconds until the next token)."""
        now = self._clock()
        tokens, stamp = self._buckets.pop(key, (self._burst, now))
        tokens = min(self._burst, tokens + (now - stamp) * self._rate)
        allowed = tokens >= 1.0
        if allowed:
            tokens -= 1.0
        self._buckets[key] = (tokens, now)
        if len(self._buckets) > self._max:
            self._buckets.popitem(last=False)
        return allowed, 0.0 if allowed else (1.0 - tokens) / self._rate


class PublicRateLimit:
    """ASGI middleware limiting requests to the public paths per client address."""

    def __init__(self, app: ASGIApp, rate_per_s: float = 20.0, burst: float = 60.0) -> None:
        self.app = app
        self.buckets = TokenBuckets(rate_per_s, burst)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] not in ("http", "websocket") or not path.startswith(PUBLIC_PREFIXES):
            await self.app(scope, receive, send)
            return
        client = scope.get("client") or ("unknown", 0)
        allowed, wait_s = self.buckets.allow(str(client[0]))
        if allowed:
            await self.app(scope, receive, send)
        elif scope["type"] == "http":
            await send(
                {
                    "type": "http.response.start",
                    "status": 429,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"retry-after", str(max(1, round(wait_s))).encode()),
                    ],
                }
            )
            await send(
                {
                    "type": "http.response.body",
                    "body": b'{"detail": "too many requests; retry later"}',
                }
            )
        else:
            await send(
                {
                    "type": "websocket.close",
                    "code": WS_RATE_LIMITED,
                    "reason": "too many connections; retry later",
                }
            )
