"""The road-closures record and the closure commands: the agreed example parses and round
trips, and a closure command missing its structure or reason is refused with why."""

from __future__ import annotations

import orjson
import pytest

from streams.contract import (
    OUTPUT_MODELS,
    Assignment,
    ClosureState,
    Command,
    ContractError,
    RoadClosure,
    decode,
    encode,
)

EXAMPLE = """{"structure_id": "ST-U-1000045000", "name": "서빙고지하차도",
 "kind": "underpass", "state": "closure_recommended", "previous_state": "watch", "version": 3,
 "updated_at": "2026-11-21T13:05:09+09:00", "link_ids": ["1000045000"], "gu": "용산구",
 "location": {"lon": 126.9, "lat": 37.5}, "reason": "water 0.32 m",
 "readings": [{"sensor_id": "WL-ST-U-1000045000", "kind": "water_level", "value": 0.32,
   "unit": "m", "watch_at": 0.15, "close_at": 0.30, "measured_at": "2026-11-21T13:05:02+09:00"}],
 "command_id": null, "by": null}""".encode()


def test_road_closure_example_round_trips() -> None:
    record = decode(RoadClosure, EXAMPLE)
    assert record.state is ClosureState.CLOSURE_RECOMMENDED
    assert decode(RoadClosure, encode(record)) == record
    assert OUTPUT_MODELS["road-closures"] is RoadClosure


def test_unknown_closure_state_is_refused() -> None:
    bad = orjson.loads(EXAMPLE) | {"state": "half_open"}
    with pytest.raises(ContractError, match="state"):
        decode(RoadClosure, orjson.dumps(bad))


def _command(**fields: object) -> bytes:
    base = {"id": "cmd-1", "at": "2026-11-21T13:05:09+09:00", "by": "d1", "role": "dispatcher"}
    return orjson.dumps(base | fields)


def test_confirm_closure_needs_a_structure() -> None:
    with pytest.raises(ContractError, match="needs structure_id"):
        decode(Command, _command(action="confirm_closure"))
    ok = decode(Command, _command(action="confirm_closure", structure_id="ST-U-1"))
    assert ok.structure_id == "ST-U-1" and ok.reason is None


@pytest.mark.parametrize("action", ["close_structure", "reopen_structure"])
def test_closing_or_reopening_by_hand_needs_a_reason(action: str) -> None:
    with pytest.raises(ContractError, match="needs a reason"):
        decode(Command, _command(action=action, structure_id="ST-U-1"))
    assert decode(Command, _command(action=action, structure_id="ST-U-1", reason="flooded"))


def test_assignment_names_the_closure_it_was_rerouted_around() -> None:
    raw = {
        "incident_id": "INC-1",
        "unit_id": "A-1",
        "status": "assigned",
        "eta_s": 100.0,
        "distance_m": 900.0,
        "golden_time_s": 480.0,
        "within_golden_time": True,
        "issued_at": "2026-11-21T13:05:09+09:00",
        "rerouted_because": "ST-U-1000045000",
    }
    assert decode(Assignment, orjson.dumps(raw)).rerouted_because == "ST-U-1000045000"
