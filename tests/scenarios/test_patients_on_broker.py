"""A Seoul morning played by ``goldentime simulate`` to a real worker: the emergency rooms
report their status, crews report patients, get destinations and take them there."""

from __future__ import annotations

from typing import Any

import pytest

from dispatch import load_er_rules, registry
from geo import City
from stack.settings import Settings
from streams.topics import Topics
from tests.conftest import Process
from tests.kafka_io import read_until
from tests.scenarios.conftest import simulate
from tests.system.surge import read_all

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.mark.timeout(300)
async def test_crews_take_patients_to_their_destinations_and_ers_report(
    city_settings: Settings, city_worker: Process, default_city: City
) -> None:
    simulate(city_settings, "--speed", "60", "--start", "10:00", "--minutes", "50")
    t = Topics(city_settings.topic_prefix)
    hospitals = registry(default_city.facilities, load_er_rules())
    statuses = await read_until(
        city_settings.kafka_bootstrap,
        t.er_status,
        lambda r: len({s["hospital_id"] for s in r}) >= 0.9 * len(hospitals),
        30,
    )
    assert {s["source"] for s in statuses} == {"simulator"}
    assert all(s["hospital_id"] in hospitals for s in statuses)

    destinations = await read_until(city_settings.kafka_bootstrap, t.destinations, bool, 30)
    chosen = {(d["unit_id"], d["incident_id"]): d["hospital_id"] for d in destinations}

    def handed_over(records: list[dict[str, Any]]) -> bool:
        return any(
            r["status"] == "at_hospital" and (r["unit_id"], r.get("incident_id")) in chosen
            for r in records
        )

    reports = await read_until(city_settings.kafka_bootstrap, t.unit_status, handed_over, 30)
    contacts = [r for r in reports if r["status"] == "on_scene" and r.get("patient")]
    assert contacts and all(r["patient"]["condition"] for r in contacts)
    for r in reports:
        key = (r["unit_id"], r.get("incident_id"))
        if r["status"] == "at_hospital" and key in chosen:
            er = hospitals[chosen[key]]
            assert (r["location"]["lon"], r["location"]["lat"]) == (
                round(er.lon, 6),
                round(er.lat, 6),
            ), "the crew went where its destination said"
    letters = await read_all(city_settings, t.deadletter)
    ours = [x for x in letters if x.get("stage") == "dispatch" or "er-status" in x["source_topic"]]
    assert not ours, [x["error"] for x in ours][:5]
