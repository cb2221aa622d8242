"""A gas leak through the real broker and worker: draft, approval (two people for 위급),
sent, delivered to a provider's webhook (a real local HTTP server); a second report of the
same leak joins the incident and sends nothing more (no alert storm). The Update of an
alert by an overlapping one is tested on the decision itself in tests/alerts."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import orjson
import pytest

from stack.embedded import free_port
from stack.settings import Settings
from streams.contract import Command, CommandAction, encode
from streams.topics import Topics
from tests.conftest import start_worker, wait_for
from tests.integration.scenario_events import KST, at
from tests.kafka_io import produce, read_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]


class Provider:
    """A cell-broadcast provider's webhook: records every POST."""

    def __init__(self) -> None:
        self.posts: list[tuple[dict[str, str], dict[str, Any]]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.posts.append((dict(self.headers), orjson.loads(body)))
                self.send_response(202)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/cbs"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def provider() -> Iterator[Provider]:
    p = Provider()
    yield p
    p.server.shutdown()
    p.server.server_close()


def gas(alarm_id: str, lon: float, lat: float) -> dict[str, Any]:
    return {
        "id": alarm_id,
        "measured_at": at(0),
        "sensor_id": f"S-{alarm_id}",
        "kind": "gas",
        "value": 35.0,
        "unit": "%LEL",
        "threshold": 10.0,
        "location": {"lon": lon, "lat": lat},
    }


def approve(settings: Settings, alert_id: str, who: str) -> None:
    cmd = Command(
        id=f"cmd-{uuid.uuid4().hex[:8]}",
        at=datetime.now(KST),
        action=CommandAction.APPROVE_ALERT,
        by=who,
        role="dispatcher",
        alert_id=alert_id,
    )
    produce(
        settings.kafka_bootstrap, Topics(settings.topic_prefix).commands, [(b"city", encode(cmd))]
    )


async def test_gas_leak_alert_is_approved_sent_delivered_and_updated(
    settings: Settings, provider: Provider, tmp_path: Path
) -> None:
    settings = settings.replace(alert_webhook_url=provider.url)
    worker = start_worker(settings, tmp_path)
    try:
        t = Topics(settings.topic_prefix)
        produce(
            settings.kafka_bootstrap,
            t.sensor_alarms,
            [(b"S-gas-1", gas("gas-1", 126.9780, 37.5665))],
        )
        drafts = await read_until(settings.kafka_bootstrap, t.alerts, lambda r: len(r) >= 1, 20)
        draft = drafts[0]
        assert draft["status"] == "draft" and draft["message"]["ko"] and draft["message"]["en"]
        assert provider.posts == []  # nothing leaves before a human approves

        approve(settings, draft["id"], "dispatcher-1")
        if draft["approvals_required"] >= 2:
            await read_until(
                settings.kafka_bootstrap,
                t.alerts,
                lambda r: len(r[0]["approvals"]) >= 0 and len(r) >= 2,
                20,
            )
            assert provider.posts == []  # one approval is not enough for this tier
            approve(settings, draft["id"], "dispatcher-2")
        sent = await read_until(
            settings.kafka_bootstrap, t.alerts, lambda r: any(a["status"] == "sent" for a in r), 20
        )
        assert next(a for a in sent if a["status"] == "sent")["id"] == draft["id"]
        wait_for(lambda: provider.posts, timeout_s=20)
        headers, body = provider.posts[0]
        assert headers.get("Idempotency-Key") and body["id"] == draft["id"]
        assert "+82" not in orjson.dumps(body).decode()

        produce(
            settings.kafka_bootstrap,
            t.sensor_alarms,
            [(b"S-gas-2", gas("gas-2", 126.9780 + 0.0009, 37.5665))],
        )  # ≈ 80 m east
        incidents = await read_until(
            settings.kafka_bootstrap,
            t.incidents,
            lambda r: any(len(i["evidence"]) == 2 for i in r),
            20,
        )
        assert len({i["id"] for i in incidents}) == 1
        alerts = await read_until(settings.kafka_bootstrap, t.alerts, lambda r: len(r) >= 1, 5)
        assert {a["id"] for a in alerts} == {draft["id"]}
        assert len(provider.posts) == 1
    finally:
        worker.stop()
