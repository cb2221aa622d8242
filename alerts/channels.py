"""Delivery channels: a Channel protocol, a retrying webhook channel, dead letters."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

import httpx

from alerts.errors import AlertError, LiveChannelError
from alerts.model import Alert, Mode
from alerts.public import is_public, public_view

__all__ = [
    "Channel",
    "DeadLetter",
    "Delivery",
    "WebhookChannel",
    "ensure_deliverable",
    "idempotency_key",
    "public_json",
]

_RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class DeadLetter:
    """An undeliverable send, kept for a human or a later replay."""

    channel: str
    alert_id: str
    revision: int
    idempotency_key: str
    attempts: int
    error: str
    payload: str
    at: datetime


@dataclass(frozen=True)
class Delivery:
    """The outcome of delivering one alert revision to one channel."""

    channel: str
    alert_id: str
    revision: int
    idempotency_key: str
    ok: bool
    attempts: int
    status_code: int | None = None
    dead_letter: DeadLetter | None = None


class Channel(Protocol):
    """Something that takes public alerts to people (a provider, a feed, a socket)."""

    @property
    def name(self) -> str: ...
    @property
    def live(self) -> bool: ...
    async def deliver(self, alert: Alert) -> Delivery: ...


def idempotency_key(alert: Alert) -> str:
    """One key per alert revision and status: a provider drops repeats of the same send."""
    return f"{alert.id}:r{alert.revision}:{alert.status.value}"


def ensure_deliverable(alert: Alert, live: bool) -> None:
    """Raise unless the alert may go to a channel: public status, and never a drill to live."""
    if not is_public(alert):
        raise AlertError(f"alert {alert.id} is {alert.status.value}; only sent alerts go out")
    if live and alert.mode is not Mode.ACTUAL:
        raise LiveChannelError(f"{alert.mode.value} alert {alert.id} cannot reach a live channel")


def public_json(alert: Alert) -> bytes:
    """The default webhook body: the public view of the alert as JSON."""
    return json.dumps(public_view(alert), ensure_ascii=False).encode("utf-8")


class WebhookChannel:
    """POSTs public alerts to an SNS / cell-broadcast provider with retries and idempotency."""

    def __init__(
        self,
        url: str,
        client: httpx.AsyncClient,
        *,
        name: str = "webhook",
        live: bool = True,
        max_attempts: int = 5,
        backoff_s: float = 0.5,
        max_backoff_s: float = 8.0,
        body: Callable[[Alert], bytes] = public_json,
        headers: Mapping[str, str] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._url = url
        self._client = client
        self._name = name
        self._live = live
        self._max_attempts = max(1, max_attempts)
        self._backoff_s = backoff_s
        self._max_backoff_s = max_backoff_s
        self._body = body
        self._headers = dict(headers or {})
        self._sleep = sleep
        self._clock = clock

    @property
    def name(self) -> str:
        """Channel name (for logs and dead letters)."""
        return self._name

    @property
    def live(self) -> bool:
        """True when this channel reaches the public (drills and tests never go here)."""
        return self._live

    async def deliver(self, alert: Alert) -> Delivery:
        """Deliver one alert revision; retry transient failures, dead-letter the rest."""
        ensure_deliverable(alert, self._live)
        key = idempotency_key(alert)
        payload = self._body(alert)
        headers = {
            **self._headers,
            "Idempotency-Key": key,
            "Content-Type": "application/json; charset=utf-8",
        }
        error = ""
        status: int | None = None
        for attempt in range(1, self._max_attempts + 1):
            retry_after: float | None = None
            try:
                response = await self._client.post(self._url, content=payload, headers=headers)
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"
            else:
                status = response.status_code
                if 200 <= status < 300:
                    return Delivery(
                        self._name, alert.id, alert.revision, key, True, attempt, status
                    )
                error = f"HTTP {status}: {response.text[:200]}"
                if status not in _RETRY_STATUS:
                    break  # the provider refused this payload; retrying will not help
                retry_after = _retry_after_s(response.headers.get("Retry-After"))
            if attempt < self._max_attempts:
                await self._sleep(self._delay(attempt, retry_after))
        else:
            attempt = self._max_attempts
        letter = DeadLetter(
            self._name,
            alert.id,
            alert.revision,
            key,
            attempt,
            error,
            payload.decode("utf-8", "replace"),
            self._clock(),
        )
        return Delivery(self._name, alert.id, alert.revision, key, False, attempt, status, letter)

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        base = min(self._max_backoff_s, self._backoff_s * 2.0 ** (attempt - 1))
        jittered = base * (0.5 + random.random() / 2)
        if retry_after is not None:
            return float(min(self._max_backoff_s, max(jittered, retry_after)))
        return float(jittered)


def _retry_after_s(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
