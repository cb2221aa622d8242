"""Dispatch, overlays and alerts inside the zone, on the built-in city with dict stores."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import orjson
import pytest

from dispatch import Recommender
from geo import load_city
from streams.alerting import AlertFollower
from streams.contract import (
    Alert,
    Assignment,
    Command,
    CommandAction,
    ContractError,
    EvidenceSource,
    IncidentType,
    Overlay,
    UnitStatus,
)
from streams.dispatching import DispatchFollower
from streams.overlaying import OverlayFollower
from streams.zone import RETAIN_CLOSED, Effect, Zone
from tests.streams.samples import call_evidence

KST = timezone(timedelta(hours=9))
NOW = datetime(2026, 11, 21, 14, 0, tzinfo=KST)  # 14:00 KST: outside alert quiet hours
CITY = load_city(None)
CENTRE = (126.978, 37.5665)


TABLES = ("incidents", "units", "assignments", "plans", "overlays", "alerts", "drafted")


def build(tables: dict[str, dict[str, Any]] | None = None) -> tuple[Zone, DispatchFollower]:
    t = tables if tables is not None else {name: {} for name in TABLES}
    rec = Recommender(CITY)
    rec.prepare_coverage()
    zone = Zone(t["incidents"], {}, lambda lon, lat: "중구")
    started = NOW - timedelta(minutes=5)
    dispatch = DispatchFollower(zone, CITY, rec, t["units"], t["assignments"], t["plans"], started)
    zone.add_follower(dispatch)
    zone.add_follower(OverlayFollower(CITY, t["overlays"]))
    zone.add_follower(AlertFollower(CITY, t["alerts"], t["drafted"]))
    return zone, dispatch


def of(effects: list[Effect], topic: str) -> list[dict[str, Any]]:
    return [orjson.loads(e.value) for e in effects if e.topic == topic]


def evidence(n: int, kind: IncidentType, **kw: Any) -> Any:
    ev = call_evidence(n, kind=kind, lon=CENTRE[0], lat=CENTRE[1], **kw)
    return ev.__class__(**{**ev.to_json(), "at": NOW, "source": ev.source, "type": kind})


def measured(n: int, kind: IncidentType) -> Any:
    """Evidence of a measured hazard (a sensor alarm), which the alert policy drafts for."""
    ev = evidence(n, kind)
    fields = {**ev.to_json(), "at": NOW, "type": kind, "kind": "tunnel_co"}
    return ev.__class__(**{**fields, "source": EvidenceSource.SENSOR, "reporter": f"sensor:{n}"})


def test_a_fire_gets_recommended_units_with_routes_and_an_overlay() -> None:
    zone, _ = build()
    effects = zone.evidence(evidence(1, IncidentType.FIRE), NOW)
    recs = [Assignment.model_validate(a) for a in of(effects, "assignments")]
    kinds = sorted(a.unit_kind or "" for a in recs)
    assert "engine" in kinds and all(a.status.value == "recommended" for a in recs)
    assert all(a.route and a.route["type"] == "LineString" for a in recs)
    assert all(a.golden_time_s == 420 for a in recs)
    (overlay,) = [Overlay.model_validate(o) for o in of(effects, "overlays")]
    assert overlay.hazard_zone["type"] in ("Polygon", "MultiPolygon") and overlay.hydrants


def test_accepting_assigns_and_dispatches_the_incident() -> None:
    zone, dispatch = build()
    effects = zone.evidence(evidence(1, IncidentType.FIRE), NOW)
    inc_id = of(effects, "incidents")[0]["id"]
    cmd = Command(
        id="c1",
        at=NOW,
        action=CommandAction.ACCEPT_RECOMMENDATION,
        by="dispatcher-7",
        role="dispatcher",
        incident_id=inc_id,
    )
    out = zone.command(cmd, NOW)
    assigned = [a for a in of(out, "assignments") if a["status"] == "assigned"]
    assert assigned and all(a["issued_by"] == "dispatcher-7" for a in assigned)
    assert of(out, "incidents")[-1]["status"] == "dispatched"
    unit = dispatch.fleet.get(assigned[0]["unit_id"])
    assert unit.status.value == "dispatched"
    assert zone.command(cmd, NOW) == []  # replayed command: no second effect


def test_priority_one_is_assigned_at_once() -> None:
    zone, _ = build()
    effects = zone.evidence(evidence(1, IncidentType.CARDIAC_ARREST), NOW)
    statuses = {a["status"] for a in of(effects, "assignments")}
    assert "assigned" in statuses
    assert of(effects, "incidents")[-1]["status"] == "dispatched"


def test_override_records_who_and_why() -> None:
    zone, dispatch = build()
    effects = zone.evidence(evidence(1, IncidentType.MEDICAL), NOW)
    inc_id = of(effects, "incidents")[0]["id"]
    recommended = {a["unit_id"] for a in of(effects, "assignments")}
    other = next(
        u.unit_id
        for u in dispatch.fleet.available()
        if u.kind == "ambulance" and u.unit_id not in recommended
    )
    cmd = Command(
        id="c2",
        at=NOW,
        action=CommandAction.OVERRIDE,
        by="dispatcher-3",
        role="dispatcher",
        incident_id=inc_id,
        unit_ids=[other],
        remove_unit_ids=sorted(recommended),
        reason="crew knows the building",
    )
    out = of(zone.command(cmd, NOW), "assignments")
    mine = [a for a in out if a["unit_id"] == other and a["status"] == "assigned"]
    assert mine and mine[0]["issued_by"] == "dispatcher-3"
    assert "crew knows the building" in mine[0]["reason"]
    assert {a["unit_id"] for a in out if a["status"] == "cancelled"} == recommended


def test_illegal_unit_transition_is_refused_with_a_reason() -> None:
    zone, dispatch = build()
    unit = dispatch.fleet.available()[0]
    report = UnitStatus.model_validate(
        {
            "unit_id": unit.unit_id,
            "at": NOW.isoformat(),
            "kind": unit.kind,
            "status": "transporting",
        }
    )
    with pytest.raises(ContractError, match=unit.unit_id):
        zone.unit_status(report, NOW)


def test_units_on_scene_move_their_incident_on_scene() -> None:
    zone, _ = build()
    effects = zone.evidence(evidence(1, IncidentType.CARDIAC_ARREST), NOW)
    assigned = next(a for a in of(effects, "assignments") if a["status"] == "assigned")
    for status in ("en_route", "on_scene"):
        report = UnitStatus.model_validate(
            {
                "unit_id": assigned["unit_id"],
                "at": (NOW + timedelta(seconds=60)).isoformat(),
                "kind": assigned["unit_kind"],
                "status": status,
            }
        )
        out = zone.unit_status(report, NOW + timedelta(seconds=60))
    assert of(out, "incidents")[-1]["status"] == "on_scene"


def test_gas_leak_drafts_an_alert_that_needs_approval() -> None:
    zone, _ = build()
    effects = zone.evidence(measured(1, IncidentType.HAZMAT), NOW)
    alerts = of(effects, "alerts")
    assert alerts, "a hazmat incident warrants a public alert draft"
    alert = Alert.model_validate(alerts[0])
    assert alert.status.value == "draft" and alert.message["ko"] and alert.message["en"]
    assert "+82" not in orjson.dumps(alerts[0]).decode()

    def approve(n: int, who: str) -> list[Effect]:
        return zone.command(
            Command(
                id=f"a{n}",
                at=NOW,
                action=CommandAction.APPROVE_ALERT,
                by=who,
                role="dispatcher",
                alert_id=alert.id,
            ),
            NOW,
        )

    first = of(approve(1, "dispatcher-1"), "alerts")[-1]
    needs_two = alerts[0]["approvals_required"] >= 2
    assert first["status"] == ("draft" if needs_two else "sent")
    if needs_two:
        with pytest.raises(ContractError, match="already approved"):
            approve(2, "dispatcher-1")
        assert of(approve(3, "dispatcher-2"), "alerts")[-1]["status"] == "sent"


def test_a_redraft_after_a_crash_keeps_the_alert_id() -> None:
    first = of(build()[0].evidence(measured(1, IncidentType.HAZMAT), NOW), "alerts")
    # a restarted worker whose alert table lost the draft re-processes the same evidence later
    again = of(
        build()[0].evidence(measured(1, IncidentType.HAZMAT), NOW + timedelta(seconds=9)), "alerts"
    )
    assert first and again and first[0]["id"] == again[0]["id"]


def test_a_closed_incident_is_forgotten_by_every_follower_after_the_retention() -> None:
    t: dict[str, dict[str, Any]] = {name: {} for name in TABLES}
    zone, _ = build(t)
    effects = zone.evidence(measured(1, IncidentType.HAZMAT), NOW)
    inc_id = of(effects, "incidents")[0]["id"]
    assert all(t[n] for n in ("incidents", "assignments", "plans", "overlays", "alerts"))
    close = Command(
        id="close-1",
        at=NOW,
        action=CommandAction.CLOSE_INCIDENT,
        by="dispatcher-1",
        role="dispatcher",
        incident_id=inc_id,
    )
    zone.command(close, NOW)
    zone.tick(NOW + RETAIN_CLOSED + timedelta(minutes=1))
    left = {n: v for n, v in t.items() if v}
    assert left == {}, f"state kept about a forgotten incident: {left}"
