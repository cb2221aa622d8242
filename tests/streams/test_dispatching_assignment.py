"""Assignments built in the dispatch hot path: a route geometry from geo is attached without
re-checking it point by point; every other field still goes through the contract."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from geo import load_city
from streams.contract import Assignment, AssignmentStatus, encode
from streams.dispatching import checked_assignment

NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)


def _fields(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "incident_id": "inc-1",
        "unit_id": "A-1",
        "status": AssignmentStatus.RECOMMENDED,
        "eta_s": 312.4,
        "distance_m": 2040.5,
        "golden_time_s": 480.0,
        "within_golden_time": True,
        "issued_at": NOW,
        "unit_kind": "ambulance",
        "breach_s": None,
        "issued_by": "recommender",
        "reason": "closest",
    }
    return {**base, **over}


def test_same_record_as_full_validation() -> None:
    g = load_city(None).roads
    route = g.route(0, g.node_count - 1)
    assert route is not None
    fast = checked_assignment(route.geometry, **_fields())
    full = Assignment(route=route.geometry, **_fields())
    assert fast == full
    assert fast.model_dump(mode="json") == full.model_dump(mode="json")
    assert encode(fast) == encode(full)
    assert fast.model_fields_set == full.model_fields_set
    # and it reads back as a valid contract record
    assert Assignment.model_validate(fast.model_dump(mode="json")) == full


def test_without_route() -> None:
    assert checked_assignment(None, **_fields()) == Assignment(route=None, **_fields())


@pytest.mark.parametrize(
    "bad",
    [
        {"eta_s": -1.0},
        {"unit_id": "has space"},
        {"issued_at": datetime(2026, 11, 22, 3, 0)},  # no offset
        {"golden_time_s": 0.0},
        {"reason": "x" * 301},
        {"eta_s": float("inf")},
    ],
)
def test_other_fields_are_still_checked(bad: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        checked_assignment(
            {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}, **_fields(**bad)
        )


def test_routes_from_outside_are_still_checked_by_the_contract() -> None:
    bad_route = {"type": "LineString", "coordinates": [[500.0, 0.0], [1.0, 1.0]]}
    with pytest.raises(ValidationError):
        Assignment(route=bad_route, **_fields())


def test_encode_dumped_gives_the_contract_bytes() -> None:
    from streams.dispatching import encode_dumped

    g = load_city(None).roads
    route = g.route(5, 600)
    assert route is not None
    record = checked_assignment(route.geometry, **_fields(breach_s=12.5, reason="ü 한글"))
    assert encode_dumped(record.model_dump(mode="json")) == encode(record)


def test_dump_assignment_equals_model_dump() -> None:
    from streams.dispatching import dump_assignment, encode_dumped

    g = load_city(None).roads
    route = g.route(9, 1000)
    assert route is not None
    for geometry in (route.geometry, None):
        record = checked_assignment(geometry, **_fields(breach_s=3.0))
        dumped = dump_assignment(record)
        assert dumped == record.model_dump(mode="json")
        assert list(dumped) == list(record.model_dump(mode="json"))  # same key order
        assert encode_dumped(dumped) == encode(record)
        again = Assignment.model_validate(dumped)  # a stored record read back and revised
        assert dump_assignment(checked_assignment(again.route, **_fields())) == dump_assignment(
            checked_assignment(geometry, **_fields())
        )
