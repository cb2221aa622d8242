"""Pure decisions and values: who may view, the registry's tokens, merging audit events."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from video_relay_kit import CITY_HALL, INGEST_SECRET, PLAZA, SAMPLE_CAMERAS

from access import Principal, Role
from video_relay.api import parse_since
from video_relay.audit import ViewingSession, merge_sessions
from video_relay.cameras import CameraEntry, CameraRegistry
from video_relay.errors import (
    Forbidden,
    ReasonRequired,
    RegistrationError,
    Unauthenticated,
    UnknownCamera,
)
from video_relay.policy import authorize_viewing, cameras_in_overlay


def person(role: Role, unit_id: str | None = None) -> Principal:
    return Principal("tok-1", role, "kim", unit_id, expires_at=2e9)


DISPATCHER = person(Role.DISPATCHER)
CREW = person(Role.CREW, "E-JUNGBU-1")
AT_SCENE = frozenset({CITY_HALL.id})


def test_dispatcher_views_any_camera_with_a_reason_or_incident() -> None:
    grant = authorize_viewing(DISPATCHER, PLAZA.id, " smoke report ", None, None, frozenset())
    assert (grant.reason, grant.incident_id) == ("smoke report", None)
    grant = authorize_viewing(DISPATCHER, PLAZA.id, None, "INC-1", None, frozenset())
    assert grant.incident_id == "INC-1"
    long_reason = authorize_viewing(DISPATCHER, PLAZA.id, "x" * 5000, None, None, frozenset())
    assert len(long_reason.reason or "") == 500


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize(("reason", "incident"), [(None, None), ("", "  "), ("   ", None)])
def test_no_reason_no_viewing(role: Role, reason: str | None, incident: str | None) -> None:
    with pytest.raises(ReasonRequired):
        authorize_viewing(person(role, "E-1"), CITY_HALL.id, reason, incident, "INC-1", AT_SCENE)


def test_crew_views_only_cameras_of_its_own_incident() -> None:
    grant = authorize_viewing(CREW, CITY_HALL.id, "approach", None, "INC-1", AT_SCENE)
    assert grant.incident_id == "INC-1"  # the assignment is the incident of record
    assert authorize_viewing(CREW, CITY_HALL.id, None, "INC-1", "INC-1", AT_SCENE)
    cases = [
        (PLAZA.id, "INC-1", "INC-1"),  # camera not in the overlay
        (CITY_HALL.id, "INC-2", "INC-1"),  # another incident
        (CITY_HALL.id, "INC-1", None),  # not assigned
    ]
    for camera, asked, assigned in cases:
        with pytest.raises(Forbidden):
            authorize_viewing(CREW, camera, None, asked, assigned, AT_SCENE)
    with pytest.raises(Forbidden):
        authorize_viewing(person(Role.SERVICE), CITY_HALL.id, "x", None, None, frozenset())


def test_cameras_are_read_from_an_overlay() -> None:
    overlay = {"cameras": [{"id": "A"}, {"camera_id": "B"}, "C", {"id": 7}, None]}
    assert cameras_in_overlay(overlay) == frozenset({"A", "B", "C"})
    assert cameras_in_overlay({"cameras": "A"}) == frozenset()
    assert cameras_in_overlay([]) == frozenset()


@given(
    st.recursive(
        st.none() | st.text() | st.integers(), lambda c: st.lists(c) | st.dictionaries(st.text(), c)
    )
)
def test_overlay_reader_never_crashes(value: object) -> None:
    assert isinstance(cameras_in_overlay({"cameras": value}), frozenset)


def registry() -> CameraRegistry:
    return CameraRegistry(SAMPLE_CAMERAS, INGEST_SECRET, {PLAZA.id: "http://cam/x.mjpg"})


def test_fixed_camera_tokens_are_derived_and_checked() -> None:
    reg = registry()
    token = reg.fixed_ingest_token(CITY_HALL.id)
    assert token == registry().fixed_ingest_token(CITY_HALL.id)  # no state needed
    assert token != reg.fixed_ingest_token(PLAZA.id)
    assert reg.verify_ingest(CITY_HALL.id, token).id == CITY_HALL.id
    other = CameraRegistry(SAMPLE_CAMERAS, b"another-secret-0123456789")
    for bad in (None, "", token + "x", other.fixed_ingest_token(CITY_HALL.id)):
        with pytest.raises(Unauthenticated):
            reg.verify_ingest(CITY_HALL.id, bad)
    with pytest.raises(UnknownCamera):
        reg.verify_ingest("CAM-NOPE", token)
    assert reg.pull_targets() == {PLAZA.id: "http://cam/x.mjpg"}
    assert reg.get(PLAZA.id).to_json()["pulled"] is True
    assert "pull_url" not in reg.get(PLAZA.id).to_json()


def test_run_time_cameras_register_move_and_leave() -> None:
    reg = registry()
    entry, token = reg.register(CameraEntry("DRONE-1", 126.98, 37.57, kind="drone"))
    assert entry.registered and reg.verify_ingest("DRONE-1", token) == entry
    _, renewed = reg.register(CameraEntry("DRONE-1", 126.98, 37.57, kind="drone"))
    with pytest.raises(Unauthenticated):
        reg.verify_ingest("DRONE-1", token)  # renewal rotates the token
    assert reg.verify_ingest("DRONE-1", renewed).id == "DRONE-1"
    assert reg.move("DRONE-1", 127.0, 37.5, 45.0).direction_deg == 45.0
    with pytest.raises(RegistrationError):
        reg.fixed_ingest_token("DRONE-1")
    reg.unregister("DRONE-1")
    assert "DRONE-1" not in reg and len(reg) == 3
    bad_entries = [
        CameraEntry(CITY_HALL.id, 126.9, 37.5),  # a city camera's id
        CameraEntry("bad id", 126.9, 37.5),
        CameraEntry("D2", 226.9, 37.5),
        CameraEntry("D2", 126.9, 37.5, direction_deg=360.0),
        CameraEntry("D2", 126.9, 37.5, kind="satellite"),
    ]
    for bad in bad_entries:
        with pytest.raises(RegistrationError):
            reg.register(bad)
    with pytest.raises(RegistrationError):
        reg.unregister(CITY_HALL.id)


def session(sid: str, camera: str, started: str, ended: str | None = None) -> ViewingSession:
    base = ViewingSession(sid, camera, "kim", "dispatcher", None, "t", None, "r", None, started)
    return base.ended(ended, 1000, 1, 0, 10) if ended else base


def test_merge_prefers_ends_keeps_open_sessions_and_filters_cameras() -> None:
    a_start = session("a", "C1", "2026-11-21T01:00:00.000+00:00")
    a_end = session("a", "C1", a_start.started_at, "2026-11-21T01:05:00.000+00:00")
    b_open = session("b", "C1", "2026-11-20T23:00:00.000+00:00")
    c_start = session("c", "C2", "2026-11-21T02:00:00.000+00:00")
    merged = merge_sessions([("start", a_start), ("end", a_end), ("start", c_start)], [b_open])
    assert [s.session_id for s in merged] == ["b", "a", "c"]
    assert merged[1].ended_at == a_end.ended_at
    assert [s.session_id for s in merge_sessions([("start", c_start)], [b_open], "C1")] == ["b"]
    assert ViewingSession.from_json({**a_end.to_json(), "extra": 1}) == a_end


@given(
    st.datetimes(
        min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.timezones()
    )
)
def test_since_round_trips_any_rfc3339_time(moment: datetime) -> None:
    assert parse_since(moment.isoformat()) == pytest.approx(moment.timestamp(), abs=1e-3)
    assert parse_since(str(moment.timestamp())) == pytest.approx(moment.timestamp())


@given(st.text(max_size=40))
def test_since_parser_refuses_cleanly(text: str) -> None:
    try:
        epoch_s = parse_since(text)
    except ValueError:
        epoch_s = None
    assert epoch_s is None or 0 <= epoch_s < 1e11
    assert parse_since("") is None and parse_since(None) is None
    with pytest.raises(ValueError):
        parse_since("2026-11-21T10:00:00")  # no offset: ambiguous


texts = st.text(max_size=30)
sessions_st = st.builds(
    ViewingSession,
    session_id=texts,
    camera_id=texts,
    subject=texts,
    role=st.sampled_from([r.value for r in Role]),
    unit_id=st.none() | texts,
    token_id=texts,
    incident_id=st.none() | texts,
    reason=st.none() | texts,
    peer=st.none() | texts,
    started_at=texts,
    ended_at=st.none() | texts,
    end_code=st.none() | st.integers(1000, 4999),
    frames_sent=st.integers(0, 10**9),
    frames_dropped=st.integers(0, 10**9),
    bytes_sent=st.integers(0, 10**15),
)


@given(sessions_st)
def test_a_session_survives_its_json_form(session: ViewingSession) -> None:
    assert ViewingSession.from_json(json.loads(json.dumps(session.to_json()))) == session
