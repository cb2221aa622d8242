"""The public-alert budget: one simulated Seoul day through the real worker, and the drafts
it makes.

A day's evidence comes from a generator function (:data:`DayEvents`): by default the city's
normal day (``scenarios.day.NormalDay`` at the pace of ``scenarios/seoul_day.toml``: 1,713
dispatches and about 5,300 calls a day, most calls never dispatched and never sent), or the
older steady generator (``scenarios.generator.CityTraffic``) at the same dispatch rate. Each
event is stamped with its time in the simulated day (the 24 hours before the run), sent as
fast as the broker takes it, and the worker fuses and drafts as it would live.

A reviewer's judgement of each draft reads the policy's stated rule literally against the
truth of the day (what the generator made each piece of evidence for): the incident's type
is the kind of emergency its evidence was made for, and the evidence meets the rule's
condition (sensor alarm, camera, calls, priority) it cites.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson

from alerts import KST, Policy, load_policy
from geo import City

__all__ = ["DayEvent", "DayEvents", "city_traffic_day", "judge", "normal_day", "run_day"]

DAY_S = 24 * 3600.0
SEOUL_DISPATCHES_PER_DAY = 1_712.8
"""Ambulance runs + rescue dispatches + fires in Seoul, 2020, per day (서울특별시
소방재난본부, 2021-03-18; the figure scenarios/seoul_day.toml plays)."""
SENSOR_TYPE = {"gas": "gas_leak", "tunnel_co": "hazmat", "water_level": "flood"}
CAMERA_TYPE = {"smoke": "fire", "fire": "fire", "collision": "traffic", "flood": "flood"}


@dataclass(frozen=True, slots=True)
class DayEvent:
    """One piece of evidence of the simulated day: its topic (base name), key and value."""

    topic: str
    key: str
    value: dict[str, Any]
    truth: str
    """The kind of emergency the generator made it for (a call category)."""


DayEvents = Callable[[City, random.Random, datetime], Iterator[DayEvent]]
"""A day's evidence in time order, from the day's start (the value's times filled in)."""


def normal_day(city: City, rng: random.Random, start: datetime) -> Iterator[DayEvent]:
    """Seoul's normal day (scenarios.day.NormalDay at the pace of seoul_day.toml)."""
    from scenarios.day import NormalDay
    from scenarios.pace import load_pace
    from scenarios.schedule import TIME_FIELDS, Schedule, iso

    schedule = Schedule()
    day = NormalDay(city, load_pace(), rng, start, schedule)
    day.advance(DAY_S)
    for due in schedule.pop_due(math.inf):
        if due.topic not in TIME_FIELDS or due.topic == "unit-status":
            continue
        value = {**due.value, TIME_FIELDS[due.topic]: iso(start + timedelta(seconds=due.at_s))}
        yield DayEvent(due.topic, due.key, value, _truth(due.topic, value))


def city_traffic_day(city: City, rng: random.Random, start: datetime) -> Iterator[DayEvent]:
    """The steady generator (scenarios.generator.CityTraffic: its own category mix, 1–5
    callers) with Seoul's dispatches a day arriving as a Poisson process."""
    from scenarios.generator import CityTraffic

    traffic = CityTraffic(city, rng, malformed_share=0.0)
    at_s = 0.0
    while True:
        at_s += rng.expovariate(SEOUL_DISPATCHES_PER_DAY / DAY_S)
        if at_s >= DAY_S:
            return
        for ev in traffic.incident(start + timedelta(seconds=at_s)):
            if isinstance(ev.value, dict):
                yield DayEvent(ev.topic, ev.key, ev.value, _truth(ev.topic, ev.value))


def _truth(topic: str, value: dict[str, Any]) -> str:
    if topic == "calls":
        return str(value["category"])
    if topic == "sensor-alarms":
        return SENSOR_TYPE.get(value["kind"], "fire")
    return CAMERA_TYPE.get(value["kind"], "crowd")


SETTLE_S = 25.0
"""Quiet this long and the worker is done with the day: longer than the zone's 15 s tick,
which closes the day's incidents (stamped hours ago) in one burst after the last evidence."""


async def run_day(stack: Any, events: list[DayEvent], settle_s: float = SETTLE_S) -> dict[str, Any]:
    """Send the day's events to the worker, wait until it has settled (no new incident or
    alert for ``settle_s``), and return every alert and the latest state of every incident."""
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

    topics = stack.topics
    consumer = AIOKafkaConsumer(
        topics.alerts,
        topics.incidents,
        bootstrap_servers=stack.settings.kafka_bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=50,
    )
    producer = AIOKafkaProducer(
        bootstrap_servers=stack.settings.kafka_bootstrap, acks="all", linger_ms=20
    )
    await consumer.start()
    await producer.start()
    alerts: list[dict[str, Any]] = []
    incidents: dict[str, dict[str, Any]] = {}
    started = time.perf_counter()
    try:
        for k in range(0, len(events), 500):
            sends = [
                await producer.send(topics.name(ev.topic), orjson.dumps(ev.value), ev.key.encode())
                for ev in events[k : k + 500]
            ]
            await asyncio.gather(*sends)
        sent_s = time.perf_counter() - started
        quiet_since = time.perf_counter()
        while time.perf_counter() - quiet_since < settle_s:
            for batch in (await consumer.getmany(timeout_ms=200)).values():
                for record in batch:
                    quiet_since = time.perf_counter()
                    value = orjson.loads(record.value)
                    if record.topic == topics.alerts:
                        alerts.append(value)
                    elif value["version"] >= incidents.get(value["id"], {}).get("version", 0):
                        incidents[value["id"]] = value
    finally:
        await producer.stop()
        await consumer.stop()
    return {"alerts": alerts, "incidents": incidents, "sent_s": sent_s}


def judge(
    draft: dict[str, Any], incident: dict[str, Any] | None, truth: dict[str, str], policy: Policy
) -> bool:
    """A reviewer's reading of the stated rule: the draft's incident is the kind of emergency
    its evidence was made for, and that evidence meets a condition of the rule it cites."""
    if incident is None:
        return False
    rule = policy.types.get(incident["type"])
    if rule is None or not rule.alert or draft["why"]["rule"] != rule.rule_id:
        return False
    made_for = Counter(truth.get(ref["id"], "?") for ref in incident["evidence"])
    if made_for.most_common(1)[0][0] != incident["type"]:
        return False
    by_source = Counter(ref["source"] for ref in incident["evidence"])
    return any(
        (
            rule.measured_qualifies and by_source["sensor"] > 0,
            rule.camera_qualifies and by_source["cctv"] > 0,
            0 < rule.min_calls <= by_source["call"],
            rule.max_priority > 0 and incident["priority"] <= rule.max_priority,
            rule.critical_on_mass_casualty and incident.get("mass_casualty", False),
        )
    )


def budget(day: dict[str, Any], events: list[DayEvent]) -> dict[str, Any]:
    """Drafts of the day, by rule and tier, and the share a reviewer would call justified."""
    policy = load_policy()
    truth = {str(ev.value["id"]): ev.truth for ev in events}
    drafts: dict[str, dict[str, Any]] = {}
    for alert in day["alerts"]:
        if alert["status"] == "draft":
            drafts[alert["id"]] = alert  # the latest draft revision of each alert
    rules = Counter(a["why"]["rule"] if a.get("why") else "?" for a in drafts.values())
    tiers = Counter(a["tier"] for a in drafts.values())
    justified = [
        judge(a, day["incidents"].get(a["incident_id"]), truth, policy) for a in drafts.values()
    ]
    return {
        "drafts_per_simulated_day": len(drafts),
        "drafts_critical": tiers.get("critical", 0),
        "drafts_by_tier": dict(tiers),
        "drafts_by_rule": dict(rules),
        "drafts_justified_share": round(sum(justified) / len(justified), 3) if justified else None,
        "day_evidence_sent": len(events),
        "day_incidents": len(day["incidents"]),
        "day_send_s": round(day["sent_s"], 1),
    }


DAYS: dict[str, DayEvents] = {"normal": normal_day, "city-traffic": city_traffic_day}


def measure_day(stack: Any, city: City, source: str, seed: int) -> dict[str, Any]:
    """One simulated day of ``source`` through the stack's worker: the alert budget."""
    start = datetime.now(KST) - timedelta(hours=24, minutes=30)
    events = list(DAYS[source](city, random.Random(seed), start))
    events.sort(key=_time_of)
    out = budget(asyncio.run(run_day(stack, events)), events)
    out["day_source"] = source
    return out


def _time_of(ev: DayEvent) -> datetime:
    name = next(n for n in ("received_at", "detected_at", "measured_at") if n in ev.value)
    return datetime.fromisoformat(ev.value[name])
