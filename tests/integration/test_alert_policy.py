"""Public alerts by policy through the real broker and worker: genuine public hazards draft
at their tier (how fast is measured by ``python -m bench.alerts``, not asserted here);
individual emergencies and an ordinary road crash draft none; an update of an incident
updates its draft; a supervisor's silence suppresses drafts (recorded, withdrawn) and ends
on time."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import orjson
import pytest
import shapely
import shapely.geometry
from aiokafka import AIOKafkaConsumer

from stack.settings import Settings
from streams.contract import Command, CommandAction, encode
from streams.topics import Topics
from tests.conftest import Process
from tests.integration.scenario_events import KST, at, call, cctv, smoke_alarm
from tests.kafka_io import produce

pytestmark = [pytest.mark.integration, pytest.mark.slow]

"""Evidence to draft on ``alerts``: the budget a public warning's first minutes allow."""

# Scenario places in central Seoul (inside the built-in city), about 1 km apart: no two
# scenarios join one incident or share one alert.
GRID = [(126.958 + 0.012 * i, 37.550 + 0.010 * j) for j in range(4) for i in range(4)]


def sensor(eid: str, kind: str, place: tuple[float, float], value: float, unit: str) -> Any:
    return {
        "id": eid,
        "measured_at": at(0),
        "sensor_id": f"S-{eid}",
        "kind": kind,
        "value": value,
        "unit": unit,
        "threshold": value / 4,
        "location": {"lon": place[0], "lat": place[1]},
    }


def calls(prefix: str, place: tuple[float, float], category: str, n: int, **kw: Any) -> list[Any]:
    lon, lat = place
    return [
        call(f"{prefix}-{k}", lon + (k % 5) * 2e-5, lat + (k // 5) * 2e-5, category, at(k), **kw)
        for k in range(n)
    ]


class Watch:
    """Every record on ``alerts`` from the start, with when this test first saw it."""

    def __init__(self, settings: Settings) -> None:
        self._consumer = AIOKafkaConsumer(
            Topics(settings.topic_prefix).alerts,
            bootstrap_servers=settings.kafka_bootstrap,
            group_id=None,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=20,
        )
        self.records: list[tuple[float, dict[str, Any]]] = []

    async def __aenter__(self) -> Watch:
        await self._consumer.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._consumer.stop()

    async def until(
        self, done: Callable[[list[dict[str, Any]]], bool], timeout_s: float = 20
    ) -> list[dict[str, Any]]:
        deadline = time.perf_counter() + timeout_s
        while not done(self.values()):
            if time.perf_counter() > deadline:
                raise AssertionError(f"not seen within {timeout_s} s: {self.values()}")
            for batch in (await self._consumer.getmany(timeout_ms=50)).values():
                for record in batch:
                    self.records.append((time.perf_counter(), orjson.loads(record.value)))
        return self.values()

    async def settle(self, seconds: float) -> list[dict[str, Any]]:
        """Everything seen within ``seconds`` (to check that nothing more comes)."""
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            for batch in (await self._consumer.getmany(timeout_ms=50)).values():
                for record in batch:
                    self.records.append((time.perf_counter(), orjson.loads(record.value)))
        return self.values()

    def values(self) -> list[dict[str, Any]]:
        return [value for _, value in self.records]

    def first_at(self, place: tuple[float, float], tier: str) -> float | None:
        """When the first record of this tier whose area holds ``place`` was seen."""
        point = shapely.Point(*place)
        for seen, value in self.records:
            if value["tier"] == tier and shapely.geometry.shape(value["area"]).contains(point):
                return seen
        return None


def near(records: list[dict[str, Any]], place: tuple[float, float]) -> list[dict[str, Any]]:
    point = shapely.Point(*place)
    return [r for r in records if shapely.geometry.shape(r["area"]).contains(point)]


def send(settings: Settings, topic: str, values: list[dict[str, Any]]) -> None:
    """Produce values and wait for the broker's acknowledgement."""
    name = Topics(settings.topic_prefix).name(topic)
    produce(settings.kafka_bootstrap, name, [(str(v["id"]).encode(), v) for v in values])


SCENARIOS: dict[str, tuple[str, str]] = {
    # name: (hazard, tier it must draft at)
    "gas leak (measured)": ("gas", "emergency"),
    "chemical release (measured, smelled by many)": ("chemical", "emergency"),
    "flood (water-level alarm)": ("flood", "emergency"),
    "crowd crush (burst of reports, 6.5 persons/m2)": ("crowd", "critical"),
    "large fire (24 callers, smoke on camera)": ("smoke", "emergency"),
    "smoky fire (12 callers)": ("smoke", "safety"),
}


def scenario_events(name: str, place: tuple[float, float]) -> list[tuple[str, list[Any]]]:
    """The evidence of one scenario, per topic."""
    tag = uuid.uuid4().hex[:6]
    lon, lat = place
    if name.startswith("gas"):
        return [("sensor-alarms", [sensor(f"gas-{tag}", "gas", place, 40.0, "%LEL")])]
    if name.startswith("chemical"):
        tunnel = sensor(f"co-{tag}", "tunnel_co", place, 400.0, "ppm")
        return [("sensor-alarms", [tunnel]), ("calls", calls(f"chem-{tag}", place, "hazmat", 5))]
    if name.startswith("flood"):
        return [("sensor-alarms", [sensor(f"wl-{tag}", "water_level", place, 1.6, "m")])]
    if name.startswith("crowd"):
        burst = calls(f"crush-{tag}", place, "crowd", 5, patients=1)
        density = cctv(f"dens-{tag}", lon, lat, "crowd_density", 0.95, at(30), density=6.5)
        return [("calls", burst), ("cctv-events", [density])]
    if name.startswith("large fire"):
        smoke = cctv(f"smk-{tag}", lon, lat, "smoke", 0.93, at(20))
        return [("calls", calls(f"lf-{tag}", place, "fire", 24)), ("cctv-events", [smoke])]
    return [("calls", calls(f"sf-{tag}", place, "fire", 12))]


async def test_public_hazards_draft_at_their_tier_individual_emergencies_none(
    settings: Settings, worker: Process
) -> None:
    places = dict(zip(SCENARIOS, GRID[::2], strict=False))
    crash, cardiac, mass_medical, one_fire = GRID[1], GRID[3], GRID[5], GRID[7]
    latencies: dict[str, float] = {}
    async with Watch(settings) as watch:
        for name, place in places.items():
            events = scenario_events(name, place)
            sent = time.perf_counter()  # before the first evidence goes out: an upper bound
            for topic, values in events:
                send(settings, topic, values)
            hazard, tier = SCENARIOS[name]
            seen = await watch.until(
                lambda r, p=place, t=tier: any(a["tier"] == t for a in near(r, p))
            )
            first = watch.first_at(place, tier)
            assert first is not None
            latencies[name] = (first - sent) * 1000
            latest = near(seen, place)[-1]
            assert (latest["hazard"], latest["tier"], latest["status"]) == (hazard, tier, "draft")
            assert latest["why"]["rule"] and latest["why"]["evidence"]

        # individual emergencies, however many patients, and an ordinary crash: no draft
        send(settings, "calls", calls("crash", crash, "traffic", 3, patients=2))  # 6 patients
        send(settings, "calls", calls("ca", cardiac, "cardiac_arrest", 2))
        send(settings, "calls", calls("mci", mass_medical, "medical", 4, patients=3))
        send(settings, "calls", calls("one-fire", one_fire, "fire", 3))
        tunnel = smoke_alarm(f"smk-{uuid.uuid4().hex[:6]}", *one_fire, at(5))
        send(settings, "sensor-alarms", [tunnel])
        final = await watch.settle(6.0)
    for quiet in (crash, cardiac, mass_medical, one_fire):
        assert near(final, quiet) == [], f"a draft for an incident at {quiet}"
    assert not any(r["tier"] == "critical" and r["hazard"] != "crowd" for r in final)
    print("evidence_to_draft_ms", {k: round(v, 1) for k, v in latencies.items()})


async def test_an_update_of_an_incident_updates_its_draft(
    settings: Settings, worker: Process
) -> None:
    place = GRID[0]
    async with Watch(settings) as watch:
        send(settings, "calls", calls("grow", place, "fire", 11))
        first = (await watch.until(lambda r: bool(near(r, place))))[0]
        assert first["tier"] == "safety" and first["status"] == "draft"
        more = [call(f"grow-more-{k}", *place, "fire", at(60 + k)) for k in range(10)]
        send(settings, "calls", more)
        seen = await watch.until(lambda r: any(a["tier"] == "emergency" for a in r))
        extra = await watch.settle(3.0)
    assert {a["id"] for a in seen + extra} == {first["id"]}  # one alert, updated
    latest = max(seen + extra, key=lambda a: a["version"])
    assert latest["status"] == "draft" and latest["tier"] == "emergency"
    assert latest["why"]["evidence"].startswith("21 calls")
    assert "21 calls >= 20" in latest["why"]["reasons"]


def silence_command(place: tuple[float, float], started: datetime, duration_s: int) -> Command:
    lon, lat = place
    half = 0.003
    area = shapely.geometry.mapping(shapely.box(lon - half, lat - half, lon + half, lat + half))
    return Command(
        id=f"silence-{uuid.uuid4().hex[:8]}",
        at=started,
        action=CommandAction.SILENCE_ALERTS,
        by="supervisor-1",
        role="dispatcher",
        hazard="gas",
        area=area,
        duration_s=duration_s,
        reason="gas works at the plant, crews on scene",
    )


async def test_a_silence_suppresses_gas_drafts_in_its_area_then_expires(
    settings: Settings, worker: Process
) -> None:
    inside, outside = GRID[5], GRID[10]
    duration_s = 60
    # the silence began 48 s ago: it ends about 12 s from now
    started = datetime.now(KST) - timedelta(seconds=duration_s - 12)
    command = silence_command(inside, started, duration_s)
    commands = Topics(settings.topic_prefix).commands
    produce(settings.kafka_bootstrap, commands, [(b"city", encode(command))])
    produce(settings.kafka_bootstrap, commands, [(b"city", encode(command))])  # a replay
    async with Watch(settings) as watch:
        send(settings, "sensor-alarms", [sensor("sil-gas-1", "gas", inside, 40.0, "%LEL")])
        send(settings, "sensor-alarms", [sensor("sil-gas-2", "gas", outside, 40.0, "%LEL")])
        seen = await watch.until(lambda r: bool(near(r, inside)) and bool(near(r, outside)))
        (held,) = near(seen, inside)
        assert held["status"] == "cancelled" and held["silenced_by"] == command.id
        assert held["public_action"] == "drop" and "supervisor-1" in held["audit"][-1]["detail"]
        assert near(seen, outside)[0]["status"] == "draft"

        ends = started + timedelta(seconds=duration_s)
        await asyncio.sleep(max(0.0, (ends - datetime.now(KST)).total_seconds()) + 0.5)
        # the same leak measured again, by a second sensor, after the silence: now it drafts
        again = (inside[0] + 0.0005, inside[1])  # about 45 m east
        send(settings, "sensor-alarms", [sensor("sil-gas-3", "gas", again, 40.0, "%LEL")])
        after = await watch.until(lambda r: any(a["status"] == "draft" for a in near(r, inside)))
    drafted = [a for a in near(after, inside) if a["status"] == "draft"]
    assert drafted and drafted[0]["silenced_by"] is None
