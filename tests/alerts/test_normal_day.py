"""The alert budget on the decision path, without a broker: a normal day of the city (the
scenarios' NormalDay at Seoul's pace) fused by the zone and drafted by the follow-up stage
drafts at most a handful of public alerts, none 위급 (bench.alerts measures the same day
through the real worker)."""

from __future__ import annotations

import math
import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from geo import load_city
from scenarios.day import NormalDay
from scenarios.pace import load_pace
from scenarios.schedule import TIME_FIELDS, Schedule, iso
from streams.follow import FollowUp, Relay, follow_items
from streams.intake import Intake, ServiceArea
from streams.zone import Zone

DAY_BUDGET = 5
"""Public alerts a normal day may draft: more and people stop reading them."""


def a_normal_day(seed: int) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Every alert record a normal day's evidence makes, and each incident's type."""
    city = load_city(None)
    end = datetime.now(UTC).replace(microsecond=0)
    start = end - timedelta(hours=24)
    schedule = Schedule()
    NormalDay(city, load_pace(), random.Random(seed), start, schedule).advance(24 * 3600)
    intake = Intake(ServiceArea.around(city.bbox), {}, clock=lambda: end)
    zone = Zone({}, {}, lambda lon, lat: None)
    relay = Relay()
    zone.add_follower(relay)
    stage = FollowUp(city, {}, {}, {}, {}, {})
    alerts = []
    types: dict[str, str] = {}
    for due in schedule.pop_due(math.inf):
        if due.topic not in TIME_FIELDS or due.topic == "unit-status":
            continue
        at = start + timedelta(seconds=due.at_s)
        value = {**due.value, TIME_FIELDS[due.topic]: iso(at)}
        evidence = intake.evidence(due.topic, orjson.dumps(value))
        effects = zone.evidence(evidence, at)
        for effect in effects:
            if effect.topic == "incidents":
                incident = orjson.loads(effect.value)
                types[incident["id"]] = incident["type"]
        for item in follow_items(effects, relay.take_forgotten(), None):
            for effect in stage.apply(orjson.loads(item), at):
                if effect.topic == "alerts":
                    alerts.append(orjson.loads(effect.value))
    return alerts, types


def test_a_normal_day_drafts_a_handful_of_alerts_and_no_critical_one() -> None:
    alerts, types = a_normal_day(seed=11)
    kinds = Counter(types.values())
    assert len(types) >= 1_000 and kinds["fire"] >= 5 and kinds["traffic"] >= 50, kinds
    drafts = {a["id"]: a for a in alerts if a["status"] == "draft"}
    tiers = Counter(a["tier"] for a in drafts.values())
    assert len(drafts) <= DAY_BUDGET, Counter(a["why"]["rule"] for a in drafts.values())
    assert tiers["critical"] == 0
    for draft in drafts.values():  # each names the rule and the evidence it met
        assert draft["why"]["rule"] and draft["why"]["evidence"]
