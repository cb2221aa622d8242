"""Diversions and the crew's clock through a running console on the real broker and cache:
every path that carries a unit's destination (console and crew frames, snapshots, the crew
view, the board) says where the worker diverted it from, replays change nothing, and the crew
view says since when the unit has been transporting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest
import websockets

from access import Role
from stack.settings import Settings
from tests.conftest import Process
from tests.console.conftest import bearer, eventually, frames_until, publish
from tests.console.console_samples import assignment, incident, token, unit_status
from tests.console.hospital_samples import KANGBUK, NMC, SNUH, destination

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROUTE = [(126.97, 37.56), (126.978, 37.5665)]


def ago(seconds: float) -> datetime:
    """``seconds`` before now."""
    return datetime.now(UTC) - timedelta(seconds=seconds)


def to(hospital_id: str, frames: list[dict[str, Any]]) -> bool:
    """True when ``frames`` hold a destination frame to ``hospital_id``."""
    return any(
        m["type"] == "destination" and m["data"]["hospital_id"] == hospital_id for m in frames
    )


def ms(at: object) -> int:
    """An RFC 3339 time as epoch milliseconds (0 for none)."""
    return int(datetime.fromisoformat(str(at)).timestamp() * 1000) if at else 0


def report(status: str, seconds_ago: float) -> dict[str, object]:
    """A report of A-1 in ``status`` sent ``seconds_ago``."""
    sent = unit_status("A-1", status, *ROUTE[-1], kind="ambulance")
    return {**sent, "at": ago(seconds_ago).isoformat()}


@pytest.mark.timeout(120)
async def test_every_path_says_where_a_unit_was_diverted_from_and_replays_change_nothing(
    settings: Settings, console: Process
) -> None:
    publish(settings, "incidents", [incident("inc-a", type="cardiac_arrest")])
    order = assignment("inc-a", "A-1", "assigned", ROUTE)
    publish(settings, "assignments", [order], key="incident_id")
    publish(settings, "unit-status", [report("transporting", 200)], key="unit_id")
    first = destination("inc-a", "A-1", SNUH, "accepted", 2, "cmd-1", at=ago(300))
    diverted = {**destination("inc-a", "A-1", KANGBUK, version=3, at=ago(60))}
    diverted["reason"] = "서울대학교병원 병상 소진 보고 · 재추천 · PCI 가능"
    dispatcher = bearer(token(settings, Role.DISPATCHER))
    crew = bearer(token(settings, Role.CREW, "A-1"))
    base = settings.console_url.replace("http", "ws")
    async with httpx.AsyncClient(base_url=settings.console_url, timeout=10) as http:

        async def ordered() -> bool:
            view = (await http.get("/api/crew/A-1", headers=crew)).json()
            return view["assignment"] is not None

        await eventually(ordered)
        async with (
            websockets.connect(f"{base}/ws/console", additional_headers=dispatcher) as ws,
            websockets.connect(f"{base}/ws/crew/A-1", additional_headers=crew) as own,
        ):
            await ws.recv()
            await own.recv()  # the snapshots
            publish(settings, "destinations", [first], key="incident_id")
            frames = await frames_until(ws, lambda g: any(m["type"] == "destination" for m in g))
            publish(settings, "destinations", [diverted, first], key="incident_id")  # a replay
            frames += await frames_until(ws, lambda g: to(KANGBUK[0], g))
            mine = await frames_until(own, lambda g: to(KANGBUK[0], g))
        of = [m["data"] for m in frames if m["type"] == "destination"]
        assert [d["hospital_id"] for d in of] == [SNUH[0], KANGBUK[0]]  # the replay is older
        assert of[0]["diversion"] is None  # the first ER is no diversion
        why = {
            "from_hospital_id": SNUH[0],
            "from_hospital_name": SNUH[1],
            "because": diverted["reason"],
            "at": diverted["issued_at"],
        }
        assert of[1]["diversion"] == why
        assert [m["data"]["diversion"] for m in mine if m["type"] == "destination"][-1] == why

        view = (await http.get("/api/crew/A-1", headers=crew)).json()
        assert view["destination"]["diversion"] == why
        board = (await http.get("/api/hospitals", headers=dispatcher)).json()
        rows = {r["hospital_id"]: r for r in board["hospitals"]}
        assert [c["unit_id"] for c in rows[KANGBUK[0]]["incoming"]] == ["A-1"]
        assert rows[KANGBUK[0]]["incoming"][0]["diversion"] == why
        assert rows.get(SNUH[0], {"incoming": []})["incoming"] == []
        async with websockets.connect(f"{base}/ws/console", additional_headers=dispatcher) as ws:
            snap = orjson.loads(await ws.recv())["data"]
        assert [d["diversion"] for d in snap["destinations"]] == [why]

        # a dispatcher's choice of a third ER is no diversion
        chosen = destination("inc-a", "A-1", NMC, "changed", 4, "cmd-2", at=ago(10))
        publish(settings, "destinations", [chosen], key="incident_id")

        async def moved() -> dict[str, object] | None:
            got = (await http.get("/api/crew/A-1", headers=crew)).json()["destination"]
            return got if got["hospital_id"] == NMC[0] else None

        assert (await eventually(moved))["diversion"] is None


@pytest.mark.timeout(120)
async def test_the_crew_view_says_since_when_the_unit_is_transporting(
    settings: Settings, console: Process
) -> None:
    publish(settings, "incidents", [incident("inc-a")])
    publish(settings, "assignments", [assignment("inc-a", "A-1", "assigned", ROUTE)], "incident_id")
    left = report("transporting", 240)
    late = [report("on_scene", 600), report("on_scene", 100)]  # sent before the latest report
    reports = [report("on_scene", 900), left, report("transporting", 5), *late]
    reports.append(report("transporting", 2))  # read last: the view shows it once all are
    publish(settings, "unit-status", reports, key="unit_id")
    crew = bearer(token(settings, Role.CREW, "A-1"))
    async with httpx.AsyncClient(base_url=settings.console_url, timeout=10) as http:

        async def since() -> str | None:
            view = (await http.get("/api/crew/A-1", headers=crew)).json()
            moving = ms((view.get("unit") or {}).get("at")) == ms(reports[-1]["at"])
            return view.get("status_since") if moving else None

        shown = await eventually(since)
    # the later transporting report and the late on-scene ones leave it when the unit left
    assert ms(shown) == ms(left["at"])
