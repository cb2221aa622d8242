"""Webhook channel against a real HTTP server on 127.0.0.1: retries, keys, dead letters."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from alert_samples import LITERAL_DISTRICTS, NOW, gas_leak

from alerts import (
    AlertError,
    LiveChannelError,
    Mode,
    WebhookChannel,
    approve,
    draft_alert,
    mark_sent,
)


@dataclass
class FakeProvider:
    """A local SNS / cell-broadcast provider: replies from a script, records every request."""

    script: list[int] = field(default_factory=list)
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    url: str = ""


@pytest.fixture
def provider() -> Iterator[FakeProvider]:
    state = FakeProvider()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            state.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
            code = state.script.pop(0) if state.script else 200
            self.send_response(code)
            if code == 429:
                self.send_header("Retry-After", "0")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(
        target=server.serve_forever, args=(0.02,), name="fake-provider", daemon=True
    )
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/alerts"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def sent_alert(policy, mode=Mode.ACTUAL):
    alert = draft_alert(gas_leak(mode=mode), LITERAL_DISTRICTS, now=NOW, policy=policy).alert
    assert alert is not None
    return mark_sent(approve(alert, "kim", NOW), "kim", NOW, policy, live=mode is Mode.ACTUAL)


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


async def test_retries_transient_failures_with_one_idempotency_key(policy, provider):
    provider.script = [503, 429, 502]
    sleeps = Sleeps()
    async with httpx.AsyncClient(timeout=5) as client:
        channel = WebhookChannel(provider.url, client, sleep=sleeps, backoff_s=0.1)
        result = await channel.deliver(sent_alert(policy))
    assert result.ok and result.attempts == 4 and result.status_code == 200
    keys = {h["idempotency-key"] for h, _ in provider.requests}
    assert len(provider.requests) == 4 and keys == {result.idempotency_key}
    assert len(sleeps.delays) == 3 and sleeps.delays[2] >= sleeps.delays[0] * 0.5
    body = json.loads(provider.requests[-1][1])
    assert body["status"] == "sent" and "audit" not in body and "approvals" not in body


async def test_refused_payload_is_dead_lettered_without_retry(policy, provider):
    provider.script = [400]
    async with httpx.AsyncClient(timeout=5) as client:
        result = await WebhookChannel(provider.url, client, sleep=Sleeps()).deliver(
            sent_alert(policy)
        )
    assert not result.ok and result.attempts == 1 and result.dead_letter is not None
    assert "HTTP 400" in result.dead_letter.error and result.dead_letter.payload


async def test_unreachable_provider_is_dead_lettered_after_max_attempts(policy, provider):
    provider.script = [503] * 10
    sleeps = Sleeps()
    async with httpx.AsyncClient(timeout=5) as client:
        result = await WebhookChannel(
            provider.url, client, sleep=sleeps, max_attempts=3, backoff_s=0.01
        ).deliver(sent_alert(policy))
    assert not result.ok and result.attempts == 3 and len(provider.requests) == 3
    assert result.dead_letter is not None and result.dead_letter.attempts == 3
    async with httpx.AsyncClient(timeout=1) as client:  # nothing listening at all
        gone = await WebhookChannel(
            "http://127.0.0.1:9/x", client, sleep=Sleeps(), max_attempts=2
        ).deliver(sent_alert(policy))
    assert not gone.ok and gone.dead_letter is not None and "ConnectError" in gone.dead_letter.error


@pytest.mark.parametrize("mode", [Mode.EXERCISE, Mode.TEST])
async def test_test_mode_alert_cannot_reach_a_live_channel(policy, provider, mode):
    drill = sent_alert(policy, mode)
    async with httpx.AsyncClient(timeout=5) as client:
        with pytest.raises(LiveChannelError):
            await WebhookChannel(provider.url, client, live=True).deliver(drill)
        assert provider.requests == []
        training = WebhookChannel(provider.url, client, name="training", live=False)
        assert (await training.deliver(drill)).ok
    assert "[훈련]" in json.loads(provider.requests[0][1])["message"]["ko"] or mode is Mode.TEST


async def test_unsent_alert_is_not_delivered(policy, provider):
    draft = draft_alert(gas_leak(), LITERAL_DISTRICTS, now=NOW, policy=policy).alert
    assert draft is not None
    async with httpx.AsyncClient(timeout=5) as client:
        with pytest.raises(AlertError):
            await WebhookChannel(provider.url, client).deliver(draft)
    assert provider.requests == []
