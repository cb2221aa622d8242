"""One emergency, one incident: callers who pick different categories, or none, and describe
what they see, fused through the real broker and worker on the Seoul city (issue 20)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from stack.settings import Settings
from streams.topics import Topics
from tests.conftest import Process
from tests.integration.scenario_events import (
    ALLEY,
    KST,
    TOWER,
    at,
    call,
    cctv,
    evidence_owners,
    final_states,
    smoke_alarm,
)
from tests.kafka_io import produce, read_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]

M_PER_DEG_LAT = 111_320.0
M_PER_DEG_LON = M_PER_DEG_LAT * 0.7927  # at 37.5° N

TOWER_CALLERS: list[tuple[str, str | None]] = [
    ("other", "아파트 고층에서 연기가 나요"),  # the first caller names no category
    ("fire", "불이 났어요 15층이에요"),
    ("other", None),  # a caller who hung up before saying anything useful
    ("rescue", "불이나서 사람이 안에 갇혀 있어요"),
    ("medical", "연기를 마시고 할머니가 쓰러졌어요"),
    ("fire", "창문으로 불길이 치솟아요"),
    ("other", "타는 냄새가 복도에 가득해요"),
    ("rescue", "엘리베이터에 갇혔어요 연기가 들어와요"),
    ("medical", "숨쉬기가 힘들어요 연기 때문에"),
    ("other", "there is smoke coming from the tower across the street"),
]
"""What the tower's callers said, each in turn (40 callers cycle through these)."""

CRUSH_CALLERS: list[tuple[str, str | None]] = [
    ("medical", "사람이 넘어져서 다쳤어요"),  # the first call: one fall, nothing more yet
    ("other", "골목에 사람이 너무 많아서 밀려요 압사당할 것 같아요"),
    ("crowd", "인파가 몰려서 사람들이 넘어졌어요"),
    ("other", "사람들이 밀려서 넘어졌어요 밑에 사람이 깔렸어요"),
    ("medical", "압사 사고예요 여러 명이 숨을 못 쉬어요"),
    ("other", "people are being crushed in the alley"),
    ("medical", "사람이 쓰러졌어요"),
    ("crowd", None),
    ("other", "사람들이너무많아서숨을못쉬겠어요"),
    ("medical", "아이가 깔렸어요 사람들한테"),
]


def near(origin: tuple[float, float], n: int, spread_m: float) -> tuple[float, float]:
    """The ``n``-th of several points scattered within ``spread_m`` of ``origin``."""
    dx = ((n * 37) % 11 - 5) / 5 * spread_m
    dy = ((n * 53) % 7 - 3) / 3 * spread_m
    return origin[0] + dx / M_PER_DEG_LON, origin[1] + dy / M_PER_DEG_LAT


def described(
    cid: str, where: tuple[float, float], category: str, words: str | None, t: str
) -> dict[str, Any]:
    """A call as the contract carries it, with the caller's words when there are any."""
    event = call(cid, where[0], where[1], category, t)
    return event if words is None else {**event, "description": words}


def keyed(events: list[dict[str, Any]]) -> list[tuple[bytes | None, bytes | dict[str, Any]]]:
    return [(e["id"].encode(), e) for e in events]


def counted(records: list[dict[str, Any]]) -> set[str]:
    """Every evidence id some incident's latest state counts."""
    return {ref["id"] for inc in final_states(records).values() for ref in inc["evidence"]}


@pytest.mark.timeout(180)
async def test_a_tower_fire_whose_callers_pick_any_category_is_one_priority_one_fire(
    settings: Settings, worker: Process
) -> None:
    t = Topics(settings.topic_prefix)
    start = datetime.now(KST) - timedelta(minutes=10)
    calls = [
        described(f"tf-{i:02d}", near(TOWER, i, 40), *TOWER_CALLERS[i % 10], at(i * 6, start))
        for i in range(40)
    ]
    assert {c["category"] for c in calls} == {"fire", "other", "rescue", "medical"}
    alarm = smoke_alarm("tf-smoke", TOWER[0], TOWER[1], at(25, start))
    produce(settings.kafka_bootstrap, t.calls, keyed(calls))
    produce(settings.kafka_bootstrap, t.sensor_alarms, [(b"SMK-T-1", alarm)])
    first = {c["id"] for c in calls} | {alarm["id"]}
    await read_until(settings.kafka_bootstrap, t.incidents, lambda r: counted(r) >= first, 60)
    # the camera's smoke detection comes in after all the callers
    late = cctv("tf-cctv", TOWER[0] + 0.0002, TOWER[1], "smoke", 0.93, at(300, start))
    produce(settings.kafka_bootstrap, t.cctv_events, [(b"CAM-T-1", late)])
    records = await read_until(
        settings.kafka_bootstrap, t.incidents, lambda r: "tf-cctv" in counted(r), 60
    )
    states = final_states(records)
    assert len(states) == 1, {i: (s["type"], len(s["evidence"])) for i, s in states.items()}
    (fire,) = states.values()
    assert fire["type"] == "fire" and fire["priority"] == 1
    assert len(fire["evidence"]) == 42
    assert {e["source"] for e in fire["evidence"]} == {"call", "sensor", "cctv"}
    kinds = {e["kind"] for e in fire["evidence"]}
    assert "other>fire" in kinds and "other" in kinds  # words retyped some, not all


@pytest.mark.timeout(180)
async def test_a_crush_whose_callers_say_medical_other_or_crowd_is_one_crowd_incident(
    settings: Settings, worker: Process
) -> None:
    t = Topics(settings.topic_prefix)
    start = datetime.now(KST) - timedelta(minutes=10)
    calls = [
        described(f"cc-{i:02d}", near(ALLEY, i, 30), *CRUSH_CALLERS[i % 10], at(i * 20, start))
        for i in range(20)
    ]
    produce(settings.kafka_bootstrap, t.calls, keyed(calls))
    ids = {c["id"] for c in calls}
    records = await read_until(
        settings.kafka_bootstrap, t.incidents, lambda r: counted(r) >= ids, 60
    )
    states = final_states(records)
    assert len(states) == 1, {i: (s["type"], len(s["evidence"])) for i, s in states.items()}
    (crush,) = states.values()
    assert crush["type"] == "crowd" and crush["priority"] == 1 and crush["mass_casualty"]
    assert len(crush["evidence"]) == 20


@pytest.mark.timeout(120)
async def test_an_other_call_far_from_anything_opens_its_own_incident(
    settings: Settings, worker: Process
) -> None:
    t = Topics(settings.topic_prefix)
    lon, lat = TOWER
    items = [
        described("lone-fire", TOWER, "fire", "불이 났어요", at(0)),
        described("lone-near", (lon + 100 / M_PER_DEG_LON, lat), "other", None, at(10)),
        described("lone-far", (lon + 2000 / M_PER_DEG_LON, lat), "other", None, at(20)),
    ]
    produce(settings.kafka_bootstrap, t.calls, keyed(items))
    ids = {c["id"] for c in items}
    records = await read_until(
        settings.kafka_bootstrap, t.incidents, lambda r: counted(r) >= ids, 60
    )
    states = final_states(records)
    owners = evidence_owners(states)
    assert all(len(v) == 1 for v in owners.values())
    assert owners["lone-near"] == owners["lone-fire"]  # 100 m from the fire: the fire's
    (far,) = owners["lone-far"]
    assert far != owners["lone-fire"][0]
    assert states[far]["type"] == "other" and [e["id"] for e in states[far]["evidence"]] == [
        "lone-far"
    ]
