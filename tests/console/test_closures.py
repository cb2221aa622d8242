"""The console's reading of ``road-closures`` records, with literals (no broker): the board's
rows, the trend's entries and what the public sees."""

from __future__ import annotations

import doctest
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

import console.closures
import console.structures
from console.closures import public_closure, reading_entries, store_closure
from console.structures import board_rows
from tests.console.console_samples import road_closure


def test_the_documented_examples_hold() -> None:
    for module in (console.closures, console.structures):
        assert doctest.testmod(module).failed == 0


def test_a_structure_without_a_record_is_open_and_one_only_the_log_knows_is_listed() -> None:
    registry = [{"structure_id": "ST-U-1", "name": "가", "kind": "underpass", "lines": [[[1, 2]]]}]
    known = road_closure("ST-U-2", "closed", 3, depth_m=0.4, by="kim")
    rows = board_rows(registry, {"ST-U-2": known}, {"ST-U-2": [{"value": 0.4}]})
    assert [(r["structure_id"], r["state"]) for r in rows] == [
        ("ST-U-1", "open"),
        ("ST-U-2", "closed"),
    ]
    assert rows[0]["readings"] == [] and rows[0]["history"] == []
    assert rows[1]["name"] == "시청앞지하차도" and rows[1]["lines"] == []
    assert rows[1]["history"] == [{"value": 0.4}] and rows[1]["by"] == "kim"


def test_the_public_never_sees_who_closed_a_structure_or_why() -> None:
    record = road_closure(
        "ST-U-3",
        "closed",
        2,
        depth_m=0.5,
        by="dispatcher-park",
        command_id="cmd-9",
        reason="박OO 신고: 차량 고립",
    )
    view = public_closure(record)
    assert set(view) == {"structure_id", "name", "kind", "gu", "location", "state", "since"}
    assert view["since"] == record["updated_at"]
    text = orjson.dumps(view).decode()
    assert "dispatcher-park" not in text and "박OO" not in text and "cmd-9" not in text


readings = st.lists(
    st.fixed_dictionaries(
        {
            "sensor_id": st.text(min_size=1, max_size=20),
            "kind": st.sampled_from(["water_level", "tunnel_co", "wind"]),
            "value": st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False)),
            "measured_at": st.one_of(
                st.none(),
                st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)).map(
                    lambda d: d.replace(tzinfo=UTC).isoformat()
                ),
            ),
        }
    ),
    max_size=20,
)


@given(readings)
def test_every_measured_reading_becomes_one_trend_entry_at_its_time(
    items: list[dict[str, Any]],
) -> None:
    entries = reading_entries({"readings": items})
    kept = [r for r in items if r["value"] is not None and r["measured_at"]]
    assert len(entries) == len(kept)
    for (at_ms, raw), r in zip(entries, kept, strict=True):
        entry = orjson.loads(raw)
        assert entry["value"] == r["value"] and entry["sensor_id"] == r["sensor_id"]
        measured = datetime.fromisoformat(r["measured_at"])
        assert abs(at_ms - measured.timestamp() * 1000) < 1 and entry["at_ms"] == at_ms


def test_readings_an_hour_apart_are_separate_entries() -> None:
    t = datetime(2026, 7, 15, 4, tzinfo=UTC)
    record = {
        "readings": [
            {"sensor_id": "W", "value": 0.1, "measured_at": t.isoformat()},
            {"sensor_id": "W", "value": 0.2, "measured_at": (t + timedelta(hours=1)).isoformat()},
        ]
    }
    assert [at for at, _ in reading_entries(record)] == [1784088000000, 1784091600000]


def test_a_record_in_no_known_state_is_refused_before_anything_is_written() -> None:
    class Untouched:
        def __getattr__(self, name: str) -> Any:
            raise AssertionError(f"wrote {name} for a malformed record")

    record = {**road_closure("ST-U-4", "closed", 1), "state": "flooded"}
    with pytest.raises(ValueError, match="flooded"):
        store_closure(Untouched(), record)  # type: ignore[arg-type]
    with pytest.raises(KeyError):
        store_closure(Untouched(), {"state": "open"})  # type: ignore[arg-type]
