"""Fusion scenarios through the real broker and worker (issue 4's acceptance cases)."""

from __future__ import annotations

from datetime import datetime, timedelta

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


async def test_tower_block_fire_is_one_priority_one_incident_with_42_pieces(
    settings: Settings, worker: Process
) -> None:
    t = Topics(settings.topic_prefix)
    lon, lat = TOWER
    calls = [
        call(f"tb-call-{i:02d}", lon + (i % 7) * 2e-5, lat + (i % 5) * 2e-5, "fire", at(i * 7))
        for i in range(40)
    ]
    produce(settings.kafka_bootstrap, t.calls, [(c["id"].encode(), c) for c in calls])
    produce(
        settings.kafka_bootstrap,
        t.sensor_alarms,
        [(b"SMK-T-1", smoke_alarm("tb-smoke-1", lon, lat, at(20)))],
    )
    produce(
        settings.kafka_bootstrap,
        t.cctv_events,
        [(b"CAM-T-1", cctv("tb-cctv-1", lon, lat, "smoke", 0.93, at(45)))],
    )
    records = await read_until(
        settings.kafka_bootstrap,
        t.incidents,
        lambda r: any(len(i["evidence"]) >= 42 for i in r),
        30,
    )
    states = final_states(records)
    assert len(states) == 1
    (fire,) = states.values()
    assert fire["type"] == "fire" and fire["priority"] == 1 and len(fire["evidence"]) == 42
    assert {e["source"] for e in fire["evidence"]} == {"call", "sensor", "cctv"}


async def test_growing_crowd_crush_escalates_once_with_the_time_it_crossed(
    settings: Settings, worker: Process
) -> None:
    t = Topics(settings.topic_prefix)
    lon, lat = ALLEY
    start = datetime.now(KST) - timedelta(minutes=65)
    # Scattered reports over the first 45 minutes: crowded, not yet a crush.
    early = [call(f"cr-{i}", lon + i * 1e-5, lat, "crowd", at(i * 900, start)) for i in range(4)]
    dense = [cctv("cr-cam-1", lon, lat, "crowd_density", 0.9, at(2400, start), density=4.5)]
    # Then a burst: five crowd/injury calls within ten minutes, one with patients.
    burst = [
        call(
            f"cr-b{i}",
            lon,
            lat + i * 1e-5,
            "crowd" if i % 2 else "medical",
            at(3000 + i * 120, start),
            patients=1,
        )
        for i in range(5)
    ]
    produce(settings.kafka_bootstrap, t.calls, [(c["id"].encode(), c) for c in early])
    produce(settings.kafka_bootstrap, t.cctv_events, [(b"CAM-T-1", dense[0])])
    records = await read_until(
        settings.kafka_bootstrap, t.incidents, lambda r: any(len(i["evidence"]) >= 5 for i in r), 30
    )
    assert not any(r["mass_casualty"] for r in records)
    produce(settings.kafka_bootstrap, t.calls, [(c["id"].encode(), c) for c in burst])
    records = await read_until(
        settings.kafka_bootstrap,
        t.incidents,
        lambda r: any(len(i["evidence"]) >= 10 for i in r),
        30,
    )
    states = final_states(records)
    assert len(states) == 1
    (crush,) = states.values()
    assert crush["type"] == "crowd" and crush["mass_casualty"] and crush["priority"] == 1
    assert crush["supervisor_flag"]
    crossed = datetime.fromisoformat(crush["escalated_at"])
    first_mci = datetime.fromisoformat(burst[3]["received_at"])  # 5th report inside 15 min
    assert crossed <= first_mci + timedelta(seconds=1)
    assert crossed >= datetime.fromisoformat(burst[0]["received_at"])


async def test_fires_two_km_apart_stay_two_and_a_pair_across_any_line_fuses(
    settings: Settings, worker: Process
) -> None:
    t = Topics(settings.topic_prefix)
    lon, lat = TOWER
    items = [
        call("far-a", lon, lat, "fire", at(0)),
        call("far-b", lon + 0.0226, lat, "fire", at(5)),  # ≈ 2 km east
        call("pair-w", 126.980 - 0.000113, 37.5600, "medical", at(0)),  # 20 m apart,
        call("pair-e", 126.980 + 0.000113, 37.5600, "medical", at(3)),  # across 126.98°E
    ]
    produce(settings.kafka_bootstrap, t.calls, [(c["id"].encode(), c) for c in items])
    records = await read_until(
        settings.kafka_bootstrap,
        t.incidents,
        lambda r: {e["id"] for i in r for e in i["evidence"]} >= {c["id"] for c in items},
        30,
    )
    owners = evidence_owners(final_states(records))
    assert owners["far-a"] != owners["far-b"]
    assert owners["pair-w"] == owners["pair-e"]
    assert all(len(v) == 1 for v in owners.values())
