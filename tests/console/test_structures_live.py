"""The typhoon-night underpass through the console, with a real worker: a cardiac-arrest call
and the underpass's water gauge come in through the console's ingest, the board shows the
closure recommended with its readings, a dispatcher confirms it on the console, the board
shows it closed under that command, the ambulance's crew sees its new route and which
structure closed, the public sees the closure, a command the worker refuses comes back as a
dead letter under its id, and reopening on the console opens it again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from access import Role
from stack.settings import Settings
from streams.topics import Topics
from tests.conftest import Process, start_worker
from tests.console.conftest import bearer, eventually
from tests.console.console_samples import token
from tests.integration.scenario_events import at, call
from tests.integration.test_road_closures import EAST_OF_IT, UNDERPASS, crosses, water
from tests.kafka_io import read_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.mark.timeout(300)
async def test_the_flooding_underpass_is_confirmed_closed_on_the_console(
    settings: Settings, console: Process, tmp_path: Path
) -> None:
    topics = Topics(settings.topic_prefix)
    service = bearer(token(settings, Role.SERVICE))
    dispatcher = bearer(token(settings, Role.DISPATCHER))
    worker = start_worker(settings, tmp_path)
    try:
        async with httpx.AsyncClient(base_url=settings.console_url, timeout=20) as http:

            async def row() -> dict[str, Any]:
                rows = (await http.get("/api/structures", headers=dispatcher)).json()
                return next(r for r in rows if r["structure_id"] == UNDERPASS)

            async def in_state(state: str) -> dict[str, Any] | None:
                mine = await row()
                return mine if mine["state"] == state else None

            sent = await http.post(
                "/api/calls",
                json=call("uc-c1", *EAST_OF_IT, "cardiac_arrest", at(0)),
                headers=service,
            )
            assert sent.status_code == 202, sent.text

            def through_it(records: list[dict[str, Any]]) -> bool:
                return any(
                    r["status"] == "assigned" and r.get("unit_kind") == "ambulance" and crosses(r)
                    for r in records
                )

            orders = await read_until(settings.kafka_bootstrap, topics.assignments, through_it, 60)
            ambulance = next(
                r for r in orders if r["status"] == "assigned" and r.get("unit_kind") == "ambulance"
            )

            for n, depth in enumerate([0.02, 0.08, 0.22], start=1):
                _, alarm = water(n, depth)
                r = await http.post("/api/sensor-alarms", json=alarm, headers=service)
                assert r.status_code == 202, r.text
            recommended = await eventually(lambda: in_state("closure_recommended"), 60)
            assert [h["value"] for h in recommended["history"]] == [0.02, 0.08, 0.22]
            (reading,) = recommended["readings"]
            assert reading["value"] == 0.22 and reading["close_at"] == 0.15
            assert recommended["name"] == "데모1지하차도" and recommended["lines"]

            confirm = await http.post(
                f"/api/structures/{UNDERPASS}/confirm-closure", headers=dispatcher
            )
            assert confirm.status_code == 202, confirm.text
            closed = await eventually(lambda: in_state("closed"), 60)
            assert (
                closed["command_id"] == confirm.json()["id"] and closed["by"] == "test-dispatcher"
            )

            crew = bearer(token(settings, Role.CREW, ambulance["unit_id"]))

            async def rerouted() -> dict[str, Any] | None:
                view = (await http.get(f"/api/crew/{ambulance['unit_id']}", headers=crew)).json()
                return view if view.get("reroute") else None

            view = await eventually(rerouted, 60)
            assert view["reroute"]["name"] == "데모1지하차도"
            assert view["reroute"]["kind"] == "underpass"
            assert not crosses(view["assignment"])  # the route it shows drives around it

            public = (await http.get("/api/public/closures")).json()
            assert [c["structure_id"] for c in public] == [UNDERPASS]
            assert "test-dispatcher" not in orjson.dumps(public).decode()

            again = await http.post(
                f"/api/structures/{UNDERPASS}/confirm-closure", headers=dispatcher
            )
            refused_id = again.json()["id"]
            letters = await read_until(
                settings.kafka_bootstrap,
                topics.deadletter,
                lambda d: any(x.get("event_id") == refused_id for x in d),
                60,
            )
            assert any(x.get("event_id") == refused_id for x in letters)  # closed already

            _, drained = water(100, 0.0)  # the pumps emptied it: closed until a person reopens
            assert (await http.post("/api/sensor-alarms", json=drained, headers=service)).is_success

            async def drained_but_closed() -> bool:
                mine = await row()
                return mine["state"] == "closed" and mine["readings"][0]["value"] == 0.0

            await eventually(drained_but_closed, 60)
            reopen = await http.post(
                f"/api/structures/{UNDERPASS}/reopen",
                json={"reason": "배수 완료"},
                headers=dispatcher,
            )
            assert reopen.status_code == 202
            opened = await eventually(lambda: in_state("open"), 60)
            assert opened["command_id"] == reopen.json()["id"]
            assert (await http.get("/api/public/closures")).json() == []
    finally:
        worker.stop()
