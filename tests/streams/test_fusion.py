"""Fusion rules with literal evidence: no broker needed."""

from __future__ import annotations

from datetime import timedelta

from streams.contract import IncidentType
from streams.fusion import absorb, incident_id_for, match, open_incident
from tests.streams.samples import (
    CITY_HALL,
    T0,
    call_evidence,
    camera_evidence,
    sensor_evidence,
)


def test_first_call_opens_incident_with_golden_time() -> None:
    state = open_incident(call_evidence(1), "중구")
    inc = state.incident
    assert inc.type is IncidentType.FIRE and inc.status.value == "open"
    assert inc.golden_time_s == 420 and inc.deadline_at == T0 + timedelta(minutes=7)
    assert inc.district == "중구" and inc.id == incident_id_for(call_evidence(1))


def test_tower_block_fire_is_one_incident_with_all_evidence_and_priority_one() -> None:
    state = open_incident(call_evidence(0), "중구")
    pieces = [call_evidence(i, at_s=i * 7, lon=CITY_HALL[0] + i * 1e-5) for i in range(1, 40)]
    pieces += [sensor_evidence(1, at_s=30), camera_evidence(1, 0.91, at_s=60)]
    for ev in pieces:
        found = match(ev, [state])
        assert found is state
        state = absorb(state, ev)
    inc = state.incident
    assert len(inc.evidence) == 41 + 1 - 1 + 1  # 40 calls, a smoke alarm, a camera
    assert inc.priority == 1 and inc.confidence > 0.99


def test_same_evidence_twice_is_counted_once() -> None:
    state = open_incident(call_evidence(1), None)
    again = absorb(state, call_evidence(1))
    assert again.incident.evidence == state.incident.evidence
    assert again.incident.version == state.incident.version


def test_repeat_caller_adds_less_confidence_than_a_second_caller() -> None:
    state = open_incident(call_evidence(1, caller="phone:a"), None)
    same = absorb(state, call_evidence(2, caller="phone:a")).incident.confidence
    other = absorb(state, call_evidence(3, caller="phone:b")).incident.confidence
    assert same < other


def test_unrelated_fires_two_km_apart_stay_apart() -> None:
    state = open_incident(call_evidence(1), None)
    far = call_evidence(2, lon=CITY_HALL[0] + 0.0226)  # ≈ 2 km east
    assert match(far, [state]) is None


def test_incompatible_types_do_not_fuse() -> None:
    state = open_incident(call_evidence(1, kind=IncidentType.FLOOD), None)
    assert match(call_evidence(2, kind=IncidentType.CARDIAC_ARREST), [state]) is None


def test_late_evidence_outside_the_window_opens_a_new_incident() -> None:
    state = open_incident(call_evidence(1), None)
    assert match(call_evidence(2, at_s=3 * 3600), [state]) is None


def test_lone_low_confidence_camera_is_unverified_until_confirmed() -> None:
    state = open_incident(camera_evidence(1, 0.55), None)
    assert state.incident.unverified
    confirmed = absorb(state, call_evidence(2))
    assert not confirmed.incident.unverified


def test_medical_calls_join_a_crowd_incident_and_patients_escalate_to_mass_casualty() -> None:
    crowd = IncidentType.CROWD
    state = open_incident(call_evidence(1, kind=crowd, lon=126.9939, lat=37.5345), "용산구")
    for i in range(2, 5):
        ev = call_evidence(
            i, at_s=i * 60, kind=IncidentType.MEDICAL, lon=126.9940, lat=37.5346, patients=2
        )
        assert match(ev, [state]) is state
        state = absorb(state, ev)
    inc = state.incident
    assert inc.type is crowd and inc.patients == 6
    assert inc.mass_casualty and inc.priority == 1 and inc.supervisor_flag
    assert inc.escalated_at is not None


def test_a_burst_of_crowd_reports_escalates_with_the_time_it_crossed() -> None:
    crowd = IncidentType.CROWD
    state = open_incident(call_evidence(0, kind=crowd, lon=126.9939, lat=37.5345), "용산구")
    for i in range(1, 5):
        ev = call_evidence(i, at_s=i * 120, kind=crowd, lon=126.9939, lat=37.5346)
        state = absorb(state, ev)
    inc = state.incident
    assert inc.mass_casualty and inc.priority == 1
    assert inc.escalated_at == T0 + timedelta(seconds=480)


def test_the_crossing_time_is_by_the_reports_own_times_whatever_their_arrival_order() -> None:
    crowd = IncidentType.CROWD
    state = open_incident(call_evidence(0, kind=crowd, lon=126.9939, lat=37.5345), "용산구")
    for i in (5, 4, 3, 2, 1):  # the same burst, the latest report first
        ev = call_evidence(i, at_s=i * 120, kind=crowd, lon=126.9939, lat=37.5346)
        state = absorb(state, ev)
    assert state.incident.escalated_at == T0 + timedelta(seconds=480)


def test_a_late_report_without_patients_does_not_move_the_patient_crossing() -> None:
    crowd = IncidentType.CROWD
    state = open_incident(call_evidence(1, kind=crowd, lon=126.9939, lat=37.5345), "용산구")
    for i in (2, 3, 4):
        ev = call_evidence(
            i, at_s=i * 600, kind=IncidentType.MEDICAL, lon=126.994, lat=37.5346, patients=2
        )
        state = absorb(state, ev)
    crossed = state.incident.escalated_at
    assert crossed == T0 + timedelta(seconds=2400)  # the third medical call: 6 patients
    late = call_evidence(9, at_s=300, kind=IncidentType.MEDICAL, lon=126.994, lat=37.5346)
    assert absorb(state, late).incident.escalated_at == crossed


def test_scattered_crowd_reports_over_hours_do_not_escalate() -> None:
    crowd = IncidentType.CROWD
    state = open_incident(call_evidence(0, kind=crowd, lon=126.9939, lat=37.5345), None)
    for i in range(1, 5):
        state = absorb(
            state, call_evidence(i, at_s=i * 20 * 60, kind=crowd, lon=126.9939, lat=37.5345)
        )
    assert not state.incident.mass_casualty
