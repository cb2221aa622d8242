"""A crew's patient report the destinations refuse, in the dispatch stage (grid city, dict
stores): the unit's own move still stands and goes out, and the patient part is refused
with a reason, never dropped in silence."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from streams.contract import ContractError
from streams.dispatch_stage import PartlyRefused
from tests.streams.test_closing import EAST_OF_IT, Stage, ambulance, incident
from tests.streams.test_followers import NOW, of


def report(unit_id: str, status: str, minutes: int, **extra: Any) -> dict[str, Any]:
    at = (NOW + timedelta(minutes=minutes)).isoformat()
    where = {"lon": EAST_OF_IT[0], "lat": EAST_OF_IT[1]}
    body = {"unit_id": unit_id, "at": at, "kind": "ambulance", "status": status}
    return {"unit": body | {"location": where} | extra}


PATIENT = {"patient": {"condition": "cardiac_arrest", "severity": "critical"}}


def test_a_unit_whose_patient_no_er_can_take_still_puts_its_incident_on_scene() -> None:
    s = Stage()
    sent = ambulance(s.apply(incident(1)))
    s.apply(report(sent["unit_id"], "en_route", 1))
    s.stage.destinations._nodes.clear()  # no emergency room reachable from anywhere
    with pytest.raises(PartlyRefused, match="no emergency room reachable") as refused:
        s.apply(report(sent["unit_id"], "on_scene", 5, **PATIENT))
    advances = [f["advance"] for f in of(refused.value.effects, "zone-feedback")]
    assert {"incident_id": sent["incident_id"], "status": "on_scene"} in advances


def test_patient_contact_on_no_incident_is_refused_with_a_reason() -> None:
    s = Stage()
    unit_id = ambulance(s.apply(incident(1)))["unit_id"]
    s.apply(report(unit_id, "available", 1))  # released: committed to nothing
    s.apply(report(unit_id, "en_route", 2))
    with pytest.raises(ContractError, match="on no incident"):
        s.apply(report(unit_id, "on_scene", 3, **PATIENT))


def test_a_crew_leaving_with_a_patient_it_never_reported_gets_a_destination() -> None:
    s = Stage()
    sent = ambulance(s.apply(incident(1)))
    s.apply(report(sent["unit_id"], "en_route", 1))
    s.apply(report(sent["unit_id"], "on_scene", 5))  # no patient reported on scene
    effects = s.apply(report(sent["unit_id"], "transporting", 9, **PATIENT))
    (chosen,) = of(effects, "destinations")
    assert chosen["unit_id"] == sent["unit_id"] and chosen["status"] == "recommended"
    replay = s.apply(report(sent["unit_id"], "transporting", 9, **PATIENT))
    assert of(replay, "destinations") == []


def test_a_patient_reported_with_no_contact_status_is_refused_with_a_reason() -> None:
    s = Stage()
    sent = ambulance(s.apply(incident(1)))
    with pytest.raises(PartlyRefused, match="reported with status en_route") as refused:
        s.apply(report(sent["unit_id"], "en_route", 1, **PATIENT))
    assert of(refused.value.effects, "assignments") or of(refused.value.effects, "zone-feedback")


def test_a_patient_reported_without_a_position_goes_from_the_units_last_fix() -> None:
    s = Stage()
    sent = ambulance(s.apply(incident(1)))
    s.apply(report(sent["unit_id"], "en_route", 1))  # a fix east of the underpass
    contact = report(sent["unit_id"], "on_scene", 2, **PATIENT)
    del contact["unit"]["location"]
    (chosen,) = of(s.apply(contact), "destinations")
    assert chosen["unit_id"] == sent["unit_id"] and chosen["status"] == "recommended"
