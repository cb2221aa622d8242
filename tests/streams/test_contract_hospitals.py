"""The emergency-room contract: the agreed examples parse and round-trip, a patient rides
on a unit status, and ``choose_destination`` names its unit and hospital."""

from __future__ import annotations

import contextlib

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from streams.contract import (
    FEED_MODELS,
    OUTPUT_MODELS,
    Command,
    ContractError,
    Destination,
    ErStatus,
    MciPlan,
    PatientCondition,
    PatientSeverity,
    UnitStatus,
    decode,
    encode,
)

ER_STATUS = b"""{"id": "ers-A1100011-2026-12-06T10:00:00Z", "hospital_id": "A1100011",
 "at": "2026-12-06T10:00:00Z", "beds_available": 4, "beds_total": 20,
 "capabilities": {"pci": true, "stroke": true, "trauma": false, "burns": false,
 "paediatric": true}, "source": "simulator"}"""
DESTINATION = """{"incident_id": "INC-1", "unit_id": "AMB-1", "version": 2,
 "issued_at": "2026-12-06T10:00:00Z", "condition": "cardiac_arrest", "needs": ["pci"],
 "status": "recommended", "hospital_id": "A1100011", "hospital_name": "H", "eta_s": 540,
 "route": {"type": "LineString", "coordinates": [[126.9, 37.5], [126.91, 37.51]]},
 "reason": "PCI 가능 · 9분 · 병상 4",
 "ranked": [{"hospital_id": "A1100011", "name": "H", "level": "권역응급의료센터",
 "drive_s": 540, "beds_available": 4, "status_age_s": 120, "stale": false,
 "capable": true, "reason": "r"}], "command_id": null}""".encode()
MCI_PLAN = b"""{"incident_id": "INC-1", "version": 4, "updated_at": "2026-12-06T10:00:00Z",
 "patients_total": 30, "allocations": [{"hospital_id": "A1", "name": "H", "drive_s": 420,
 "capacity": 6, "planned": {"critical": 1, "serious": 2, "minor": 3},
 "transported": {"critical": 1, "serious": 0, "minor": 0}}], "unallocated": 0}"""


@pytest.mark.parametrize(
    "model, raw", [(ErStatus, ER_STATUS), (Destination, DESTINATION), (MciPlan, MCI_PLAN)]
)
def test_agreed_examples_parse_and_round_trip(model: type, raw: bytes) -> None:
    event = decode(model, raw)
    assert decode(model, encode(event)) == event


def test_new_topics_are_in_the_contract() -> None:
    assert FEED_MODELS["er-status"] is ErStatus
    assert OUTPUT_MODELS["destinations"] is Destination
    assert OUTPUT_MODELS["mci-plans"] is MciPlan


def test_negative_beds_are_refused_with_a_reason() -> None:
    raw = orjson.loads(ER_STATUS)
    with pytest.raises(ContractError, match="beds_available"):
        decode(ErStatus, orjson.dumps({**raw, "beds_available": -1}))


def test_a_patient_rides_on_an_on_scene_unit_status() -> None:
    raw = {
        "unit_id": "AMB-1",
        "at": "2026-12-06T10:00:00+09:00",
        "kind": "ambulance",
        "status": "on_scene",
        "incident_id": "INC-1",
        "patient": {"condition": "stroke", "severity": "serious"},
    }
    status = decode(UnitStatus, orjson.dumps(raw))
    assert status.patient is not None and status.patient.count == 1
    assert decode(UnitStatus, encode(status)) == status
    with pytest.raises(ContractError, match="condition"):
        bad = {**raw, "patient": {"condition": "x", "severity": "minor"}}
        decode(UnitStatus, orjson.dumps(bad))


def test_choose_destination_needs_unit_hospital_and_incident() -> None:
    base = {"id": "c1", "at": "2026-12-06T10:00:00Z", "action": "choose_destination"}
    base |= {"by": "crew-AMB-1", "role": "crew"}
    full = {**base, "incident_id": "INC-1", "unit_id": "AMB-1", "hospital_id": "A1100011"}
    assert decode(Command, orjson.dumps(full)).hospital_id == "A1100011"
    for missing in ("incident_id", "unit_id", "hospital_id"):
        partial = {k: v for k, v in full.items() if k != missing}
        with pytest.raises(ContractError):
            decode(Command, orjson.dumps(partial))


@given(
    beds=st.integers(0, 1000),
    caps=st.dictionaries(
        st.sampled_from(["pci", "stroke", "trauma", "burns", "paediatric", "obstetric"]),
        st.booleans(),
    ),
    condition=st.sampled_from(list(PatientCondition)),
    severity=st.sampled_from(list(PatientSeverity)),
)
def test_valid_status_and_patients_round_trip(
    beds: int, caps: dict[str, bool], condition: PatientCondition, severity: PatientSeverity
) -> None:
    status = ErStatus.model_validate(
        {"id": "e", "hospital_id": "H", "at": "2026-12-06T10:00:00Z", "beds_available": beds}
        | {"capabilities": caps}
    )
    assert decode(ErStatus, encode(status)) == status
    unit = UnitStatus.model_validate(
        {"unit_id": "A", "at": "2026-12-06T10:00:00Z", "kind": "ambulance"}
        | {"status": "on_scene", "patient": {"condition": condition, "severity": severity}}
    )
    assert decode(UnitStatus, encode(unit)) == unit


@given(st.binary(max_size=300))
def test_arbitrary_bytes_raise_only_contract_error(raw: bytes) -> None:
    for model in (ErStatus, Destination, MciPlan):
        with contextlib.suppress(ContractError):
            decode(model, raw)
