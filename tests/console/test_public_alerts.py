"""What the public sees of each alert record: show, drop, replace until expiry; and the read
model's memory of what ended, which a reconnecting client is told (real Valkey)."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

import orjson
import redis.asyncio as aioredis

from alerts import KST
from console.hub import Hub
from console.metrics import ConsoleMetrics
from console.outputs import OutputProjection
from console.public_alerts import (
    PUBLIC_ALERTS,
    current_public_alerts,
    is_current,
    is_public_alert,
    public_action_of,
    public_alert_view,
)
from console.readmodel import ReadModel
from stack.settings import Settings
from tests.console.console_samples import gas_leak_alerts

STEPS = gas_leak_alerts("inc-public-unit")
NOW = datetime.now(KST)


class Told(Hub):
    """The hub, recording what it is asked to publish."""

    def __init__(self) -> None:
        super().__init__()
        self.told: list[tuple[str, dict[str, Any]]] = []

    def publish(self, kind: str, data: dict[str, Any], frame: str, key: str | None = None) -> None:
        self.told.append((kind, data))


def test_a_record_says_what_the_public_page_does_with_it() -> None:
    assert public_action_of(STEPS["draft"]) == "none"
    assert public_action_of(STEPS["approved"]) == "show"
    withdrawn = {**STEPS["approved"], "status": "cancelled", "public_action": "drop"}
    assert public_action_of(withdrawn) == "drop" and not is_public_alert(withdrawn)
    cleared = {**STEPS["sent"], "status": "all_clear", "public_action": "replace"}
    assert public_action_of(cleared) == "replace" and is_public_alert(cleared)
    older = {k: v for k, v in STEPS["approved"].items() if k != "public_action"}
    assert public_action_of({**older, "status": "cancelled"}) == "drop"  # never went out


def test_an_all_clear_stands_until_its_alert_would_have_expired() -> None:
    cleared = {**STEPS["sent"], "status": "all_clear", "public_action": "replace"}
    view = public_alert_view(cleared)
    expires = datetime.fromisoformat(view["expires_at"])
    assert view["public_action"] == "replace"
    assert is_current(view, expires - timedelta(seconds=1))
    assert not is_current(view, expires + timedelta(seconds=1))
    shown = public_alert_view(STEPS["sent"])
    assert is_current(shown, expires + timedelta(days=1))  # an alert in force: its own status


async def test_a_withdrawal_before_sending_is_told_to_public_pages_and_leaves_the_list(
    settings: Settings,
) -> None:
    redis = aioredis.from_url(settings.redis_url)
    model, hub = ReadModel(redis, settings.namespace), Told()
    project = OutputProjection(model, hub, ConsoleMetrics())
    approved = {**STEPS["approved"], "id": "alert-unit-drop"}
    sent = {**STEPS["sent"], "id": "alert-unit-clear"}
    dropped = {**approved, "status": "cancelled", "public_action": "drop", "revision": 2}
    cleared = {**sent, "status": "all_clear", "public_action": "replace", "revision": 2}
    try:
        await project([("alerts", orjson.dumps(a), True) for a in (approved, sent)])
        listed = await current_public_alerts(model, NOW)
        assert sorted(a["id"] for a in listed) == ["alert-unit-clear", "alert-unit-drop"]
        before = time.time()
        hub.told.clear()
        await project([("alerts", orjson.dumps(a), True) for a in (dropped, cleared)])
        public = [data for kind, data in hub.told if kind == "public-alert"]
        assert public[0] == {"id": "alert-unit-drop", "public_action": "drop", "version": 2}
        assert public[1]["id"] == "alert-unit-clear" and public[1]["status"] == "all_clear"
        listed = await current_public_alerts(model, NOW)
        assert [(a["id"], a["public_action"]) for a in listed] == [("alert-unit-clear", "replace")]
        ended = await model.ended("alerts", before)
        assert sorted(a["id"] for a in ended) == ["alert-unit-clear", "alert-unit-drop"]
        assert [a["id"] for a in await model.ended(PUBLIC_ALERTS, before)] == ["alert-unit-drop"]
        assert await model.ended("alerts", time.time() + 1) == []
        silenced = {**STEPS["draft"], "id": "alert-unit-silenced", "status": "cancelled"}
        silenced |= {"public_action": "drop", "silenced_by": "cmd-silence-1", "revision": 2}
        await project([("alerts", orjson.dumps(silenced), True)])
        found = await model.silenced(["cmd-silence-1", "cmd-silence-2"])
        assert [a["id"] for a in found["cmd-silence-1"]] == ["alert-unit-silenced"]
        assert found["cmd-silence-2"] == []
    finally:
        await redis.aclose()
