"""The follow-up stage's alerts (streams.alerting) on the built-in city with dict stores: one
live alert per incident, updated in place; drafts withdrawn when their incident ends or no
longer warrants one; a supervisor's silence suppresses, is recorded, and ends."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import orjson
import pytest
import shapely
import shapely.geometry

from geo import load_city
from streams.alerting import AlertFollower
from streams.contract import Command, CommandAction, ContractError, Incident
from streams.follow import FollowUp
from streams.fusion import IncidentState
from streams.zone import Effect

KST = timezone(timedelta(hours=9))
NOW = datetime(2026, 11, 21, 14, 0, tzinfo=KST)  # 14:00 KST: outside quiet hours
CITY = load_city(None)
CENTRE = (126.9650, 37.5560)  # inside the built-in city's south-west gu
FAR = (127.0000, 37.5800)  # another corner of the built-in city, ~4 km away


def incident(
    incident_id: str = "INC-1",
    kind: str = "gas_leak",
    *,
    calls: int = 0,
    sensors: int = 0,
    cameras: int = 0,
    at: tuple[float, float] = CENTRE,
    status: str = "open",
    priority: int = 2,
    mass_casualty: bool = False,
    patients: int = 0,
) -> IncidentState:
    """An incident with the given evidence counts (ids made up, no personal data)."""
    evidence = (
        [{"source": "call", "id": f"{incident_id}-c{i}"} for i in range(calls)]
        + [{"source": "sensor", "id": f"{incident_id}-s{i}"} for i in range(sensors)]
        + [{"source": "cctv", "id": f"{incident_id}-v{i}"} for i in range(cameras)]
    )
    value = {
        "id": incident_id,
        "type": kind,
        "priority": priority,
        "status": status,
        "location": {"lon": at[0], "lat": at[1]},
        "opened_at": NOW.isoformat(),
        "updated_at": NOW.isoformat(),
        "evidence": evidence,
        "golden_time_s": 600,
        "deadline_at": (NOW + timedelta(minutes=10)).isoformat(),
        "confidence": 0.9,
        "patients": patients,
        "mass_casualty": mass_casualty,
    }
    return IncidentState(Incident.model_validate(value), {})


class Stage:
    """The alert follower with its dict stores, and what it published."""

    def __init__(self) -> None:
        self.alerts: dict[str, Any] = {}
        self.silences: dict[str, Any] = {}
        self.follower = AlertFollower(CITY, self.alerts, {}, self.silences)
        self.published: list[dict[str, Any]] = []

    def see(self, state: IncidentState, at: datetime = NOW) -> list[dict[str, Any]]:
        out = of(self.follower.on_incident(state, None, at))
        self.published += out
        return out

    def command(self, command: Command, at: datetime = NOW) -> list[dict[str, Any]]:
        out = of(self.follower.on_command(command, None, at))
        self.published += out
        return out


def of(effects: list[Effect]) -> list[dict[str, Any]]:
    return [orjson.loads(e.value) for e in effects if e.topic == "alerts"]


def box(lon: float, lat: float, half_deg: float = 0.004) -> dict[str, Any]:
    return shapely.geometry.mapping(
        shapely.box(lon - half_deg, lat - half_deg, lon + half_deg, lat + half_deg)
    )


def silence(
    command_id: str = "sil-1",
    hazard: str = "gas",
    *,
    at: tuple[float, float] = CENTRE,
    duration_s: int = 600,
) -> Command:
    return Command(
        id=command_id,
        at=NOW,
        action=CommandAction.SILENCE_ALERTS,
        by="supervisor-1",
        role="dispatcher",
        hazard=hazard,
        area=box(*at),
        duration_s=duration_s,
        reason="known leak at the plant, crews on scene",
    )


def test_an_update_of_an_incident_updates_its_draft_never_a_second_one() -> None:
    stage = Stage()
    (first,) = stage.see(incident(sensors=1))
    assert first["status"] == "draft" and first["why"]["rule"] == "gas_leak.measured_release"
    (second,) = stage.see(incident(sensors=1, calls=3, priority=1))
    assert second["id"] == first["id"] and second["version"] == 2
    assert second["status"] == "draft" and "3 calls" in second["why"]["evidence"]
    assert [a["action"] for a in second["audit"]][-1] == "merged"
    assert stage.see(incident(sensors=1, calls=3, priority=1)) == []  # nothing new to decide
    assert {a["id"] for a in stage.published} == {first["id"]}


def test_a_retyped_incident_keeps_its_one_alert() -> None:
    stage = Stage()
    (first,) = stage.see(incident(kind="hazmat", sensors=1))
    (second,) = stage.see(incident(kind="gas_leak", sensors=1))
    assert second["id"] == first["id"] and second["hazard"] == "gas"


def test_a_draft_is_withdrawn_when_its_incident_ends_or_no_longer_warrants_one() -> None:
    stage = Stage()
    (draft,) = stage.see(incident(sensors=1))
    (gone,) = stage.see(incident(sensors=1, status="resolved"))
    assert gone["id"] == draft["id"] and gone["status"] == "cancelled"
    assert gone["public_action"] == "drop" and gone["audit"][-1]["detail"] == "incident resolved"

    (crowd,) = stage.see(incident("INC-2", "crowd", calls=6, priority=1, mass_casualty=True))
    assert crowd["tier"] == "critical"
    (retyped,) = stage.see(incident("INC-2", "medical", calls=6, priority=1, mass_casualty=True))
    assert (
        retyped["status"] == "cancelled" and "no longer warranted" in retyped["audit"][-1]["detail"]
    )


def test_a_dispatchers_withdrawal_stands_when_the_incident_changes() -> None:
    stage = Stage()
    (draft,) = stage.see(incident(sensors=1))
    cancel = Command(
        id="c-1",
        at=NOW,
        action=CommandAction.CANCEL_ALERT,
        by="dispatcher-1",
        role="dispatcher",
        alert_id=draft["id"],
        reason="the sensor is being serviced",
    )
    assert stage.command(cancel)[0]["status"] == "cancelled"
    assert stage.see(incident(sensors=1, calls=2)) == []


def test_a_silence_suppresses_drafts_of_its_hazard_in_its_area_and_records_them() -> None:
    stage = Stage()
    assert stage.command(silence()) == []
    (held,) = stage.see(incident("INC-1", sensors=1))
    assert held["status"] == "cancelled" and held["silenced_by"] == "sil-1"
    assert held["public_action"] == "drop" and "supervisor-1" in held["audit"][-1]["detail"]
    (far,) = stage.see(incident("INC-2", sensors=1, at=FAR))
    assert far["status"] == "draft"
    (other,) = stage.see(incident("INC-3", "flood", sensors=1))
    assert other["status"] == "draft" and other["hazard"] == "flood"


def test_a_silence_withdraws_the_unapproved_drafts_it_covers() -> None:
    stage = Stage()
    (draft,) = stage.see(incident(sensors=1))
    (withdrawn,) = stage.command(silence())
    assert withdrawn["id"] == draft["id"] and withdrawn["status"] == "cancelled"
    assert withdrawn["silenced_by"] == "sil-1"


def test_a_silence_never_holds_back_a_critical_warning() -> None:
    stage = Stage()
    stage.command(silence(hazard="crowd"))
    (crush,) = stage.see(incident("INC-9", "crowd", calls=6, priority=1, mass_casualty=True))
    assert crush["status"] == "draft" and crush["tier"] == "critical"


def test_a_silence_expires_and_can_be_lifted() -> None:
    stage = Stage()
    stage.command(silence(duration_s=600))
    later = NOW + timedelta(seconds=601)
    (after,) = stage.see(incident("INC-1", sensors=1), at=later)
    assert after["status"] == "draft" and stage.silences == {}

    stage.command(silence("sil-2", duration_s=3600))
    lift = Command(
        id="lift-1",
        at=NOW,
        action=CommandAction.LIFT_SILENCE,
        by="supervisor-1",
        role="dispatcher",
        silence_id="sil-2",
    )
    stage.command(lift)
    (again,) = stage.see(incident("INC-5", sensors=1))
    assert again["status"] == "draft"
    with pytest.raises(ContractError, match="no current silence"):
        stage.command(lift.model_copy(update={"id": "lift-2"}))


def test_a_silence_of_an_unknown_hazard_is_refused_with_the_known_ones() -> None:
    with pytest.raises(ContractError, match="one of chemical, collapse"):
        Stage().command(silence(hazard="meteor"))


def test_a_replayed_silence_command_changes_nothing() -> None:
    tables: dict[str, dict[str, Any]] = {
        n: {} for n in ("overlays-done", "alerts", "drafted", "commands-seen", "silences")
    }
    stage = FollowUp(CITY, *tables.values())
    item = {"command": silence().model_dump(mode="json"), "origin": None}
    stage.apply(item, NOW)
    before = dict(tables["silences"])
    assert before and stage.apply(item, NOW + timedelta(seconds=5)) == []
    assert tables["silences"] == before


def test_a_command_without_the_fields_of_a_silence_is_refused() -> None:
    fields = silence().model_dump(mode="json")
    with pytest.raises(ValueError, match="duration_s"):
        Command.model_validate({**fields, "duration_s": None})
    with pytest.raises(ValueError, match="Polygon"):
        Command.model_validate({**fields, "area": {"type": "Point", "coordinates": [127, 37.5]}})
    with pytest.raises(ValueError, match="reason"):
        Command.model_validate({**fields, "reason": None})
