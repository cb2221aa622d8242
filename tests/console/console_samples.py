"""Contract-valid messages for console tests: incidents, units, assignments, overlays, alerts.

The worker will produce assignments, overlays and alerts; until it does, the console tests
produce these samples to the output topics themselves (the console only consumes them).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import shapely
from shapely.geometry import Polygon

from access import Role, TokenAuthority
from alerts import KST, AlertContext, DistrictShape, approve, draft_alert, load_policy, mark_sent
from alerts.metric import to_metric, to_wgs84
from stack.settings import Settings
from streams.contract import Alert as AlertModel
from streams.contract import Assignment, Incident, Overlay, RoadClosure, UnitStatus

CITY_HALL = (126.9780, 37.5665)  # inside the built-in city (central Seoul)
JUNG_GU = DistrictShape(
    "11140",
    "중구",
    "gu",
    Polygon([(126.965, 37.555), (126.995, 37.555), (126.995, 37.58), (126.965, 37.58)]),
)


def now() -> datetime:
    """The current time in KST."""
    return datetime.now(KST)


def token(settings: Settings, role: Role, unit: str | None = None, ttl_s: float = 3600) -> str:
    """A token of the deployment for ``role`` (crew tokens are bound to ``unit``)."""
    return TokenAuthority(settings.auth_secret.encode()).mint(
        role, f"test-{role}", unit_id=unit, ttl_s=ttl_s
    )


def incident(
    incident_id: str, lon: float = CITY_HALL[0], lat: float = CITY_HALL[1], **kw: Any
) -> dict[str, Any]:
    """An open incident (validated against the contract)."""
    at = now()
    data: dict[str, Any] = {
        "id": incident_id,
        "type": "fire",
        "priority": 1,
        "status": "open",
        "location": {"lon": lon, "lat": lat},
        "opened_at": at.isoformat(),
        "updated_at": at.isoformat(),
        "evidence": [{"source": "call", "id": f"call-{incident_id}", "at": at.isoformat()}],
        "golden_time_s": 420.0,
        "deadline_at": (at + timedelta(seconds=420)).isoformat(),
        "district": "중구",
        "confidence": 0.8,
        "version": 1,
        "address": "서울특별시 중구 세종대로 110",
        "description": "smoke from 3rd floor",
    }
    data.update(kw)
    return Incident.model_validate(data).model_dump(mode="json")


def unit_status(
    unit_id: str, status: str, lon: float, lat: float, kind: str = "engine", **kw: Any
) -> dict[str, Any]:
    """A unit report (validated against the contract)."""
    data = {
        "unit_id": unit_id,
        "at": datetime.now(UTC).isoformat(),
        "kind": kind,
        "station_id": "ST-1",
        "status": status,
        "location": {"lon": lon, "lat": lat},
        **kw,
    }
    return UnitStatus.model_validate(data).model_dump(mode="json")


def assignment(
    incident_id: str, unit_id: str, status: str, route: list[tuple[float, float]], **kw: Any
) -> dict[str, Any]:
    """An assignment along ``route`` ((lon, lat) points), validated against the contract."""
    data = {
        "incident_id": incident_id,
        "unit_id": unit_id,
        "status": status,
        "eta_s": 250.0,
        "distance_m": 1800.0,
        "route": {"type": "LineString", "coordinates": [list(p) for p in route]},
        "golden_time_s": 420.0,
        "within_golden_time": True,
        "issued_at": now().isoformat(),
        "unit_kind": "engine",
        **kw,
    }
    return Assignment.model_validate(data).model_dump(mode="json")


def overlay(
    incident_id: str, lon: float = CITY_HALL[0], lat: float = CITY_HALL[1]
) -> dict[str, Any]:
    """A hazard zone with hydrants and a camera around the scene."""
    zone = circle(lon, lat, 150.0)
    data = {
        "incident_id": incident_id,
        "hazard_zone": {"type": "Polygon", "coordinates": [list(map(list, zone.exterior.coords))]},
        "hydrants": [
            {"id": f"HY-{i}", "location": {"lon": lon + 0.0006 * i, "lat": lat - 0.0004 * i}}
            for i in range(1, 8)
        ],
        "cameras": [{"id": "CAM-1", "location": {"lon": lon - 0.0008, "lat": lat + 0.0003}}],
        "vulnerable_facilities": [],
        "updated_at": now().isoformat(),
    }
    return Overlay.model_validate(data).model_dump(mode="json")


def circle(lon: float, lat: float, radius_m: float) -> Polygon:
    """A WGS84 circle of radius_m around (lon, lat), built in EPSG:5179."""
    out: Polygon = to_wgs84(to_metric(shapely.Point(lon, lat)).buffer(radius_m, 16))
    return out


def gas_leak_draft(incident_id: str = "inc-gas-1") -> Any:
    """A real alert draft (alerts package, an ``alerts.Alert``) for a gas leak at City Hall."""
    at = now()
    ctx = AlertContext(
        incident_id,
        "gas_leak",
        2,
        CITY_HALL[0],
        CITY_HALL[1],
        at,
        hazard_zone=circle(CITY_HALL[0], CITY_HALL[1], 300.0),
        place="세종대로 110 (문의 010-1234-5678)",
        sensors=1,  # a measured leak: the policy drafts for it
    )
    out = draft_alert(ctx, [JUNG_GU], now=at, policy=load_policy())
    assert out.alert is not None, out
    return out.alert


def gas_leak_alerts(incident_id: str = "inc-gas-1") -> dict[str, dict[str, Any]]:
    """A real alert (alerts package) at three steps: draft, approved, sent."""
    policy = load_policy()
    at = now()
    draft = gas_leak_draft(incident_id)
    approved = draft
    for who in ("kim", "lee")[: draft.approvals_required]:
        approved = approve(approved, who, at)
    sent = mark_sent(approved, "system", at, policy, live=True)
    steps = {
        k: orjson.loads(orjson.dumps(a.to_dict()))
        for k, a in (("draft", draft), ("approved", approved), ("sent", sent))
    }
    for step in steps.values():
        AlertModel.model_validate({**step, "districts": [d["name"] for d in step["districts"]]})
    return steps


def road_closure(
    structure_id: str,
    state: str,
    version: int,
    *,
    depth_m: float | None = None,
    at: datetime | None = None,
    **kw: Any,
) -> dict[str, Any]:
    """A contract-valid ``road-closures`` record of an underpass near City Hall, with one
    water-depth reading (thresholds 0.05 m watch, 0.15 m close, as
    ``dispatch/closure_rules.toml``) when ``depth_m`` is given."""
    when = at or now()
    readings = []
    if depth_m is not None:
        readings.append(
            {
                "sensor_id": f"WL-{structure_id}",
                "kind": "water_level",
                "value": depth_m,
                "unit": "m",
                "watch_at": 0.05,
                "close_at": 0.15,
                "measured_at": when.isoformat(),
            }
        )
    record = {
        "structure_id": structure_id,
        "name": "시청앞지하차도",
        "kind": "underpass",
        "state": state,
        "version": version,
        "updated_at": when.isoformat(),
        "link_ids": ["1000000001"],
        "gu": "중구",
        "location": {"lon": CITY_HALL[0], "lat": CITY_HALL[1]},
        "readings": readings,
        **kw,
    }
    valid: dict[str, Any] = orjson.loads(RoadClosure.model_validate(record).model_dump_json())
    return valid
