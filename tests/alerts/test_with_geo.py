"""alerts fed by geo: the built-in city's districts and geo's hazard zones."""

from __future__ import annotations

from datetime import timedelta

import pytest
from alert_samples import NOW

import geo
from alerts import (
    SEOUL_ISSUER,
    AlertContext,
    Mode,
    approve,
    context_from_incident,
    draft_alert,
    mark_sent,
    to_cap,
    validate_cap,
)


@pytest.fixture(scope="module")
def city():
    return geo.load_city(None)


@pytest.mark.parametrize("kind", ["gas_leak", "hazmat", "fire", "flood", "collapse"])
def test_geo_hazard_zone_to_valid_cap(policy, city, kind):
    home = city.districts[0]
    point = home.geometry.representative_point()
    zone = geo.hazard_zone(kind, point.x, point.y, wind_from_deg=250.0, wind_speed_mps=4.0)
    ctx = AlertContext(
        f"inc-{kind}", kind, 1, point.x, point.y, NOW, hazard_zone=zone, calls=25, sensors=1
    )
    out = draft_alert(ctx, (*city.districts, *city.dongs), now=NOW, policy=policy)
    assert out.alert is not None
    assert home.code in {d.code for d in out.alert.districts}
    assert out.alert.area.contains(point)
    sent = mark_sent(approve(out.alert, "kim", NOW), "kim", NOW, policy, live=True)
    validate_cap(to_cap(sent, SEOUL_ISSUER))


def test_context_from_incident_contract_json(policy, city):
    point = city.districts[0].geometry.representative_point()
    incident = {
        "id": "inc-000123",
        "type": "gas_leak",
        "priority": 2,
        "status": "open",
        "location": {"lon": point.x, "lat": point.y},
        "opened_at": "2026-11-21T13:05:09.120+09:00",
        "district": "x",
        "evidence": [{"source": "sensor", "id": "sen-1"}, {"source": "call", "id": "call-1"}],
    }
    ctx = context_from_incident(incident, place="역 앞", mode=Mode.EXERCISE)
    assert ctx.incident_id == "inc-000123" and ctx.opened_at.utcoffset() == timedelta(hours=9)
    assert (ctx.sensors, ctx.calls, ctx.cameras) == (1, 1, 0)
    out = draft_alert(ctx, city.districts, now=ctx.opened_at, policy=policy)
    assert out.alert is not None and out.alert.mode is Mode.EXERCISE
    assert out.alert.message["ko"].startswith("[훈련]")
