"""Pure parts of the console: public alert filter, crew view, layers, commands, hub fan-out."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from access import Principal, Role
from console.actions import ActionBody, MergeBody, RetypeBody, SplitBody, command_for
from console.crew import crew_view, current_assignment, nearest_points
from console.hub import FrameQueue, Hub, batch_frame
from console.layers import compact_roads, round_coords
from console.public_alerts import alert_version, is_public_alert, public_alert_view
from console.sockets import CrewFilter
from streams.contract import CommandAction
from tests.console.console_samples import assignment, gas_leak_alerts, incident, overlay

STEPS = gas_leak_alerts()
WHO = Principal("tid", Role.DISPATCHER, "kim", None, 1e12)
NOW = datetime(2026, 11, 21, 4, 5, tzinfo=UTC)


def test_only_approved_or_sent_real_alerts_are_public() -> None:
    assert not is_public_alert(STEPS["draft"])
    assert is_public_alert(STEPS["approved"]) and is_public_alert(STEPS["sent"])
    drill = {**STEPS["sent"], "mode": "Exercise"}
    assert not is_public_alert(drill)
    assert not is_public_alert({**STEPS["sent"], "exercise": True})
    never_sent = {**STEPS["draft"], "status": "cancelled"}
    assert not is_public_alert(never_sent)  # a withdrawn draft never went out
    assert is_public_alert({**STEPS["sent"], "status": "cancelled"})


def test_bare_contract_alerts_are_filtered_the_same_way() -> None:
    bare = {k: STEPS["sent"][k] for k in ("id", "incident_id", "severity", "area", "headline")}
    bare |= {"districts": ["중구"], "message": {"ko": "대피 010-9876-5432"}, "issued_at": "x"}
    assert is_public_alert({**bare, "status": "approved"})
    assert not is_public_alert({**bare, "status": "draft"})
    view = public_alert_view({**bare, "status": "sent", "version": 3})
    assert view["version"] == 3 and "010-9876-5432" not in orjson.dumps(view).decode()


def test_public_view_has_no_audit_approvals_or_phone_numbers() -> None:
    view = public_alert_view(STEPS["sent"])
    text = orjson.dumps(view).decode()
    for private in ("audit", "approvals", "incident_id", "facts", "010-1234-5678"):
        assert private not in text
    assert set(view["message"]) == {"ko", "en"} and view["districts"] == ["중구"]


@given(st.text(alphabet="0123456789- ", min_size=0, max_size=12))
def test_public_view_never_carries_a_korean_mobile_number(tail: str) -> None:
    alert = {
        **STEPS["sent"],
        "message": {"ko": f"문의 010-1234-5678 {tail}", "en": "call +82 10 1234 5678"},
    }
    text = orjson.dumps(public_alert_view(alert)).decode()
    assert "1234-5678" not in text and "1234 5678" not in text


def test_alert_version_takes_the_larger_of_version_and_revision() -> None:
    assert alert_version({"version": 2}) == 2
    assert alert_version({"revision": 4, "version": 1}) == 4
    assert alert_version({}) == 1


def test_current_assignment_ignores_recommendations_and_other_units() -> None:
    route = [(126.97, 37.56), (126.98, 37.57)]
    rows = [
        assignment("inc-1", "E-1", "recommended", route, issued_at="2026-11-21T13:00:00+09:00"),
        assignment("inc-2", "E-2", "assigned", route, issued_at="2026-11-21T13:02:00+09:00"),
        assignment("inc-3", "E-1", "assigned", route, issued_at="2026-11-21T13:01:00+09:00"),
    ]
    assert current_assignment(rows, "E-1")["incident_id"] == "inc-3"  # type: ignore[index]
    assert current_assignment(rows, "E-9") is None


def test_nearest_points_sorts_by_great_circle_distance() -> None:
    pts = [
        {"id": "far", "location": {"lon": 126.99, "lat": 37.57}},
        {"id": "near", "location": {"lon": 126.9781, "lat": 37.5665}},
        {"id": "nowhere"},
    ]
    got = nearest_points(pts, 126.978, 37.5665, limit=5)
    assert [p["id"] for p in got] == ["near", "far"]
    assert 8 < got[0]["distance_m"] < 10  # 0.0001° of longitude at 37.57° N ≈ 8.8 m


def test_crew_view_shows_the_scene_without_caller_data() -> None:
    inc = incident("inc-1")
    view = crew_view(None, {"incident_id": "inc-1"}, {**inc, "evidence": ["x"]}, overlay("inc-1"))
    assert view["incident"]["address"] == inc["address"] and "evidence" not in view["incident"]
    assert len(view["hydrants"]) == 5 and view["hazard_zone"]["type"] == "Polygon"
    assert crew_view(None, None, None, None)["incident"] is None


def test_crew_filter_follows_orders_and_ignores_recommendations() -> None:
    f = CrewFilter("E-1", set())
    assert not f("incident", {"id": "inc-1"})
    assert not f("assignment", {"unit_id": "E-1", "incident_id": "inc-1", "status": "recommended"})
    assert f("assignment", {"unit_id": "E-1", "incident_id": "inc-1", "status": "assigned"})
    assert f("incident", {"id": "inc-1"}) and f("overlay", {"incident_id": "inc-1"})
    assert not f("assignment", {"unit_id": "E-2", "incident_id": "inc-1", "status": "assigned"})
    assert f("unit", {"unit_id": "E-1"}) and not f("unit", {"unit_id": "E-2"})
    assert f("assignment", {"unit_id": "E-1", "incident_id": "inc-1", "status": "cancelled"})
    assert not f("incident", {"id": "inc-1"}) and not f("alert", {"id": "a"})


coords = st.recursive(
    st.floats(-180, 180, allow_nan=False), lambda inner: st.lists(inner, max_size=4), max_leaves=20
)


@given(coords)
def test_round_coords_keeps_shape_and_is_within_half_a_unit(value: Any) -> None:
    out = round_coords(value)

    def check(a: Any, b: Any) -> None:
        if isinstance(a, float):
            assert abs(a - b) <= 0.5e-5 + 1e-12
        else:
            assert len(a) == len(b)
            for x, y in zip(a, b, strict=True):
                check(x, y)

    check(value, out)


def test_compact_roads_keeps_geometry_and_street_only() -> None:
    roads = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {
                    "type": "LineString",
                    "coordinates": [[126.123456789, 37.5], [1.0, 2.0]],
                },
                "properties": {"street": "세종대로", "one_way": False, "eta_s": 3.0, "length_m": 9},
            }
        ],
    }
    out = compact_roads(roads)["features"][0]
    assert out["geometry"]["coordinates"][0] == [126.12346, 37.5]
    assert out["properties"] == {"street": "세종대로", "one_way": False}


def test_commands_carry_who_and_why_and_need_a_reason_to_override() -> None:
    accept = command_for(
        CommandAction.ACCEPT_RECOMMENDATION, WHO, "inc-1", ActionBody(unit_ids=["E-1"]), NOW
    )
    assert accept.incident_id == "inc-1" and accept.alert_id is None and accept.by == "kim"
    assert accept.unit_ids == ["E-1"] and accept.id.startswith("cmd-")
    approve = command_for(CommandAction.APPROVE_ALERT, WHO, "alert-1", ActionBody(), NOW)
    assert approve.alert_id == "alert-1" and approve.incident_id is None
    with pytest.raises(ValidationError, match="reason"):
        command_for(CommandAction.OVERRIDE, WHO, "inc-1", ActionBody(unit_ids=["E-2"]), NOW)
    with pytest.raises(ValidationError):
        command_for(CommandAction.RESOLVE_INCIDENT, WHO, "no spaces allowed", ActionBody(), NOW)
    ids = {
        command_for(CommandAction.CLOSE_INCIDENT, WHO, "i", ActionBody(), NOW).id for _ in range(50)
    }
    assert len(ids) == 50


def test_rulings_become_commands_that_name_the_other_incident_evidence_and_type() -> None:
    merge = command_for(
        CommandAction.MERGE_INCIDENT,
        WHO,
        "inc-2",
        MergeBody(into_incident_id="inc-1", reason="같은 건물 same building"),
        NOW,
    )
    assert merge.incident_id == "inc-2" and merge.into_incident_id == "inc-1"
    assert merge.reason == "같은 건물 same building" and merge.by == "kim"
    split = command_for(
        CommandAction.SPLIT_EVIDENCE,
        WHO,
        "inc-1",
        SplitBody(evidence_ids=["call-7"], type="medical", reason="다른 환자"),
        NOW,
    )
    assert split.evidence_ids == ["call-7"] and split.type == "medical"
    retype = command_for(
        CommandAction.RETYPE_INCIDENT, WHO, "inc-1", RetypeBody(priority=1, reason="MCI"), NOW
    )
    assert retype.priority == 1 and retype.type is None


@pytest.mark.parametrize(
    ("action", "body", "why"),
    [
        (CommandAction.MERGE_INCIDENT, MergeBody(into_incident_id="inc-1"), "reason"),
        (CommandAction.MERGE_INCIDENT, MergeBody(reason="dup"), "into_incident_id"),
        (
            CommandAction.MERGE_INCIDENT,
            MergeBody(into_incident_id="inc-2", reason="dup"),
            "another incident",
        ),
        (CommandAction.SPLIT_EVIDENCE, SplitBody(reason="two patients"), "evidence_ids"),
        (CommandAction.SPLIT_EVIDENCE, SplitBody(evidence_ids=["c-1"], reason=""), "reason"),
        (
            CommandAction.SPLIT_EVIDENCE,
            SplitBody(evidence_ids=["c-1"], type="volcano", reason="x"),
            "type",
        ),
        (CommandAction.RETYPE_INCIDENT, RetypeBody(reason="x"), "type or a priority"),
        (CommandAction.RETYPE_INCIDENT, RetypeBody(priority=9, reason="x"), "priority"),
    ],
)
def test_an_incomplete_ruling_is_refused_with_a_readable_reason(
    action: CommandAction, body: MergeBody | SplitBody | RetypeBody, why: str
) -> None:
    with pytest.raises(ValidationError, match=why):
        command_for(action, WHO, "inc-2", body, NOW)


class FakeSocket:
    """A WebSocket stand-in: records sends; ``stuck`` makes every send block forever."""

    def __init__(self, stuck: bool = False) -> None:
        self.sent: list[str] = []
        self.closed: tuple[int, str] | None = None
        self.stuck = stuck
        self._leave = asyncio.Event()

    async def send_text(self, text: str) -> None:
        if self.stuck:
            await asyncio.Event().wait()
        self.sent.append(text)

    async def receive(self) -> dict[str, Any]:
        await self._leave.wait()
        return {"type": "websocket.disconnect"}

    async def close(self, code: int, reason: str = "") -> None:
        self.closed = (code, reason)

    def leave(self) -> None:
        self._leave.set()


async def test_hub_drops_a_stuck_client_and_keeps_serving_the_others() -> None:
    hub = Hub(queue_size=8)
    fast, stuck = FakeSocket(), FakeSocket(stuck=True)
    serving = [
        asyncio.create_task(hub.serve(fast, lambda k, d: True, ["snap"])),  # type: ignore[arg-type]
        asyncio.create_task(hub.serve(stuck, lambda k, d: True, ["snap"])),  # type: ignore[arg-type]
    ]
    await asyncio.sleep(0.01)
    for i in range(20):
        hub.publish("incident", {"id": i}, f"f{i}")
        await asyncio.sleep(0)
    await asyncio.wait_for(serving[1], 1.0)  # the stuck one is gone, closed with 4408
    assert stuck.closed is not None and stuck.closed[0] == 4408
    assert hub.dropped_slow == 1 and hub.client_count == 1
    await asyncio.sleep(0.01)
    assert fast.sent == ["snap", *[f"f{i}" for i in range(20)]]
    fast.leave()
    await asyncio.wait_for(serving[0], 1.0)
    assert hub.client_count == 0


async def test_hub_batches_a_backlog_only_for_clients_that_asked() -> None:
    hub = Hub(queue_size=64)
    plain, batched = FakeSocket(), FakeSocket()

    async def builder() -> list[str]:
        for i in range(3):  # published while the snapshot is being read: not lost
            hub.publish("incident", {"id": i}, f'{{"n":{i}}}')
        return ['{"snap":1}']

    tasks = [
        asyncio.create_task(hub.serve(plain, lambda k, d: True, builder)),  # type: ignore[arg-type]
        asyncio.create_task(hub.serve(batched, lambda k, d: True, builder, batch=True)),  # type: ignore[arg-type]
    ]
    await asyncio.sleep(0.02)
    assert plain.sent[0] == '{"snap":1}' and len(plain.sent) == 7  # 3 of its own + 3 of the other's
    assert batched.sent[0] == '{"snap":1}'
    frames = [orjson.loads(m) for m in batched.sent[1:]]
    assert frames[0]["type"] == "batch" and len(frames[0]["data"]) >= 3
    assert orjson.loads(batch_frame(['{"a":1}', '{"b":2}'])) == {
        "type": "batch",
        "data": [{"a": 1}, {"b": 2}],
    }
    for s in (plain, batched):
        s.leave()
    await asyncio.gather(*tasks)


class HeldSocket(FakeSocket):
    """Sends the snapshot, then holds every send until ``release``: a client that fell behind."""

    def __init__(self) -> None:
        super().__init__()
        self._go = asyncio.Event()

    async def send_text(self, text: str) -> None:
        if self.sent:
            await self._go.wait()
        self.sent.append(text)

    def release(self) -> None:
        self._go.set()


async def test_a_client_behind_gets_each_entity_once_at_its_latest_state() -> None:
    hub = Hub(queue_size=5)
    held = HeldSocket()
    task = asyncio.create_task(hub.serve(held, lambda k, d: True, ["snap"]))  # type: ignore[arg-type]
    await asyncio.sleep(0.01)
    hub.publish("incident", {"id": "A"}, "A1", key="A")
    await asyncio.sleep(0.01)  # A1 is in the socket's hands (held); the rest queue behind it
    for frame, key in [("A2", "A"), ("B1", "B"), ("A3", "A"), ("d1", None), ("B2", "B")]:
        hub.publish("incident", {}, frame, key=key)
    hub.publish("deadletter", {}, "d2")  # no key: never coalesced
    hub.publish("unit", {}, "uA", key="A")  # another kind's "A" is another entity
    for n in range(4, 40):  # 36 more states of A: the queue stays at 5 entries, no drop
        hub.publish("incident", {"id": "A"}, f"A{n}", key="A")
    held.release()
    await asyncio.sleep(0.01)
    assert held.sent == ["snap", "A1", "A39", "B2", "d1", "d2", "uA"]
    assert hub.dropped_slow == 0 and hub.coalesced == 2 + 36
    held.leave()
    await asyncio.wait_for(task, 1.0)


async def test_a_full_queue_of_distinct_entities_still_drops_the_client() -> None:
    hub = Hub(queue_size=3)
    stuck = FakeSocket(stuck=True)
    task = asyncio.create_task(hub.serve(stuck, lambda k, d: True, []))  # type: ignore[arg-type]
    await asyncio.sleep(0.01)
    for i in range(5):
        hub.publish("incident", {}, f"f{i}", key=str(i))
    await asyncio.wait_for(task, 1.0)
    assert stuck.closed is not None and stuck.closed[0] == 4408 and hub.dropped_slow == 1


def test_the_queue_is_bounded_in_bytes_too() -> None:
    queue = FrameQueue(maxsize=100, max_bytes=10)
    assert queue.put("aaaa", key="A") and queue.put("bbbb", key="B")
    assert not queue.put("ccc", key="C")  # 8 + 3 > 10
    assert queue.put("AAAAAA", key="A")  # replaces 4 with 6: 10
    assert not queue.put("AAAAAAA", key="A")  # would be 11
    assert len(queue) == 2
