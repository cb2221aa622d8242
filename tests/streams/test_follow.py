"""The zone hands incident states and alert commands to the follow-up stage, which makes the
overlays and alerts: in order, each once, on the built-in city with dict stores."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import orjson
import pytest

from dispatch import Recommender
from streams.contract import Command, CommandAction, ContractError, IncidentType
from streams.dispatching import DispatchFollower
from streams.follow import FollowUp, Relay, follow_items
from streams.zone import RETAIN_CLOSED, Effect, Zone
from tests.streams.test_followers import CITY, NOW, measured, of

ORIGIN = {"topic": "gt-commands", "partition": 0, "offset": 7}


class Pipeline:
    """A zone with dispatch and the relay, and the follow-up stage fed with its items."""

    def __init__(self) -> None:
        self.tables: dict[str, dict[str, Any]] = {
            n: {} for n in ("incidents", "units", "assignments", "plans")
        }
        self.follow_tables: dict[str, dict[str, Any]] = {
            n: {} for n in ("overlays-done", "alerts", "drafted", "commands-seen")
        }
        t = self.tables
        self.zone = Zone(t["incidents"], {}, lambda lon, lat: "중구")
        rec = Recommender(CITY)
        rec.prepare_coverage()
        started = NOW - timedelta(minutes=5)
        dispatch = DispatchFollower(
            self.zone, CITY, rec, t["units"], t["assignments"], t["plans"], started
        )
        self.zone.add_follower(dispatch)
        self.relay = Relay()
        self.zone.add_follower(self.relay)
        self.stage = FollowUp(CITY, *self.follow_tables.values())
        self.items: list[bytes] = []

    def hand_over(self, effects: list[Effect], origin: dict[str, Any] | None = None) -> None:
        self.items += follow_items(effects, self.relay.take_forgotten(), origin)

    def follow(self, items: list[bytes] | None = None) -> list[Effect]:
        out: list[Effect] = []
        for raw in self.items if items is None else items:
            out += self.stage.apply(orjson.loads(raw), NOW)
        return out

    def approve(self, n: int, who: str, alert_id: str) -> list[Effect]:
        cmd = Command(
            id=f"a{n}",
            at=NOW,
            action=CommandAction.APPROVE_ALERT,
            by=who,
            role="dispatcher",
            alert_id=alert_id,
        )
        effects = self.zone.command(cmd, NOW)
        self.hand_over(effects, ORIGIN)
        return effects


def test_the_zone_publishes_incidents_and_orders_and_leaves_overlays_and_alerts_to_follow() -> None:
    p = Pipeline()
    effects = p.zone.evidence(measured(1, IncidentType.HAZMAT), NOW)
    assert {e.topic for e in effects} == {"incidents", "assignments"}
    p.hand_over(effects)
    out = p.follow()
    (overlay,) = of(out, "overlays")
    (alert,) = of(out, "alerts")
    incident = of(effects, "incidents")[0]
    assert overlay["incident_id"] == incident["id"] == alert["incident_id"]
    assert alert["status"] == "draft"


def test_a_replayed_item_changes_nothing() -> None:
    p = Pipeline()
    p.hand_over(p.zone.evidence(measured(1, IncidentType.HAZMAT), NOW))
    first = p.follow()
    assert of(first, "overlays") and of(first, "alerts")
    assert p.follow() == []  # the same records again, as after a crash before the commit


def test_alert_approvals_follow_their_draft_and_count_once() -> None:
    p = Pipeline()
    p.hand_over(p.zone.evidence(measured(1, IncidentType.HAZMAT), NOW))
    (draft,) = of(p.follow(), "alerts")
    relayed = p.approve(1, "dispatcher-1", draft["id"])
    assert [e.topic for e in relayed] == ["follow"]  # the zone only relays it
    done = len(p.items)
    (item,) = p.items[done - 1 :]
    assert orjson.loads(item)["origin"] == ORIGIN
    approved = of(p.follow([item]), "alerts")[-1]
    assert approved["version"] == draft["version"] + 1
    assert p.follow([item]) == []  # a replay of the same command id


def test_an_approval_of_an_unknown_alert_is_refused_with_a_reason() -> None:
    p = Pipeline()
    p.approve(1, "dispatcher-1", "ALERT-NOPE")
    with pytest.raises(ContractError, match="no alert"):
        p.follow()


def test_a_forgotten_incident_is_forgotten_by_the_follow_up_stage_too() -> None:
    p = Pipeline()
    effects = p.zone.evidence(measured(1, IncidentType.HAZMAT), NOW)
    p.hand_over(effects)
    inc_id = of(effects, "incidents")[0]["id"]
    close = Command(
        id="close-1",
        at=NOW,
        action=CommandAction.CLOSE_INCIDENT,
        by="dispatcher-1",
        role="dispatcher",
        incident_id=inc_id,
    )
    p.hand_over(p.zone.command(close, NOW), ORIGIN)
    p.hand_over(p.zone.tick(NOW + RETAIN_CLOSED + timedelta(minutes=1)))
    assert orjson.loads(p.items[-1]) == {"forget": inc_id}
    p.follow()
    left = {n: v for n, v in {**p.tables, **p.follow_tables}.items() if v}
    assert left == {}, f"state kept about a forgotten incident: {left}"
