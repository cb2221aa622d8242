"""The contract in code: CONTRACT.md's examples parse, valid events round-trip, and
arbitrary bytes never raise anything but our validation error."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streams.contract import (
    INPUT_MODELS,
    Call,
    CctvDetection,
    ContractError,
    SensorAlarm,
    UnitStatus,
    decode,
    encode,
)

CONTRACT_CALL = b"""{"id": "call-000123", "received_at": "2026-11-21T13:05:09+09:00",
 "location": {"lon": 126.9780, "lat": 37.5665, "accuracy_m": 30},
 "category": "fire", "description": "smoke from 3rd floor of a building",
 "address": "\xec\x84\x9c\xec\x9a\xb8 \xec\xa4\x91\xea\xb5\xac", "patients": 0,
 "caller": {"phone": "+82-10-0000-0000", "language": "ko"}}"""
CONTRACT_CCTV = b"""{"id": "cctv-88-000045", "detected_at": "2026-11-21T13:05:11+09:00",
 "camera_id": "CAM-JG-0042", "kind": "smoke", "confidence": 0.91,
 "location": {"lon": 126.9781, "lat": 37.5663}, "density_ppm2": null, "snapshot_url": null}"""
CONTRACT_SENSOR = b"""{"id": "sen-7-000912", "measured_at": "2026-11-21T13:05:02+09:00",
 "sensor_id": "SMK-BLDG-1107", "kind": "smoke_detector", "value": 1.0,
 "unit": "alarm", "threshold": 1.0, "location": {"lon": 126.9779, "lat": 37.5666}}"""
CONTRACT_UNIT = b"""{"unit_id": "E-JUNGBU-1", "at": "2026-11-21T13:05:00+09:00", "kind": "engine",
 "station_id": "ST-JUNGBU", "status": "available",
 "location": {"lon": 126.9690, "lat": 37.5640}}"""


@pytest.mark.parametrize(
    "model, raw",
    [
        (Call, CONTRACT_CALL),
        (CctvDetection, CONTRACT_CCTV),
        (SensorAlarm, CONTRACT_SENSOR),
        (UnitStatus, CONTRACT_UNIT),
    ],
)
def test_contract_examples_parse_and_round_trip(model: type, raw: bytes) -> None:
    event = decode(model, raw)
    assert decode(model, encode(event)) == event


def test_times_keep_their_offset() -> None:
    call = decode(Call, CONTRACT_CALL)
    assert call.received_at.utcoffset() == timedelta(hours=9)
    assert orjson.loads(encode(call))["received_at"] == "2026-11-21T13:05:09+09:00"


@pytest.mark.parametrize(
    "patch, needle",
    [
        ({"received_at": "2026-11-21T13:05:09"}, "timezone"),
        ({"location": {"lon": 200.0, "lat": 37.5}}, "location.lon"),
        ({"location": {"lon": 126.9, "lat": -91}}, "location.lat"),
        ({"category": "alien"}, "category"),
        ({"id": ""}, "id"),
        ({"id": "has space"}, "id"),
        ({"patients": -1}, "patients"),
    ],
)
def test_invalid_calls_explain_what_is_wrong(patch: dict[str, object], needle: str) -> None:
    data = {**orjson.loads(CONTRACT_CALL), **patch}
    with pytest.raises(ContractError) as err:
        decode(Call, orjson.dumps(data))
    assert needle in err.value.reason


def test_nan_and_infinity_are_refused() -> None:
    raw = CONTRACT_CALL.replace(b'"lon": 126.9780', b'"lon": NaN')
    with pytest.raises(ContractError):
        decode(Call, raw)
    for value in (b"Infinity", b"1e400", b"-1e400"):
        with pytest.raises(ContractError):
            decode(
                CctvDetection,
                CONTRACT_CCTV.replace(b'"confidence": 0.91', b'"confidence": ' + value),
            )


def test_oversized_and_deeply_nested_payloads_are_refused() -> None:
    with pytest.raises(ContractError, match="exceeds"):
        decode(Call, b"{" + b" " * (300 * 1024) + b"}")
    with pytest.raises(ContractError):
        decode(Call, b"[" * 10_000 + b"]" * 10_000)


offsets = st.integers(min_value=-12 * 60, max_value=14 * 60).map(
    lambda m: timezone(timedelta(minutes=m))
)
times = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=offsets
)
ids = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9._:@/-]{0,40}\Z")
lons = st.floats(min_value=-180, max_value=180, allow_nan=False)
lats = st.floats(min_value=-90, max_value=90, allow_nan=False)
texts = st.text(max_size=200).map(str.strip)


@st.composite
def calls(draw: st.DrawFn) -> dict[str, object]:
    return {
        "id": draw(ids),
        "received_at": draw(times).isoformat(),
        "location": {
            "lon": draw(lons),
            "lat": draw(lats),
            "accuracy_m": draw(st.none() | st.floats(0, 5000)),
        },
        "category": draw(
            st.sampled_from(
                [
                    "fire",
                    "medical",
                    "cardiac_arrest",
                    "rescue",
                    "traffic",
                    "hazmat",
                    "flood",
                    "collapse",
                    "crowd",
                    "other",
                ]
            )
        ),
        "description": draw(st.none() | texts),
        "address": draw(st.none() | texts),
        "patients": draw(st.none() | st.integers(0, 500)),
        "caller": draw(
            st.none() | st.fixed_dictionaries({"phone": st.text(max_size=20).map(str.strip)})
        ),
    }


@st.composite
def sensor_alarms(draw: st.DrawFn) -> dict[str, object]:
    return {
        "id": draw(ids),
        "measured_at": draw(times).isoformat(),
        "sensor_id": draw(ids),
        "kind": draw(
            st.sampled_from(
                [
                    "smoke_detector",
                    "heat",
                    "gas",
                    "water_level",
                    "bridge_strain",
                    "tunnel_co",
                    "air_quality_pm25",
                    "seismic",
                ]
            )
        ),
        "value": draw(st.floats(-1e6, 1e6)),
        "unit": "u",
        "threshold": draw(st.none() | st.floats(-1e6, 1e6)),
        "location": {"lon": draw(lons), "lat": draw(lats)},
    }


@st.composite
def cctv(draw: st.DrawFn) -> dict[str, object]:
    return {
        "id": draw(ids),
        "detected_at": draw(times).isoformat(),
        "camera_id": draw(ids),
        "kind": draw(
            st.sampled_from(
                ["smoke", "fire", "crowd_density", "fall", "collision", "flood", "intrusion"]
            )
        ),
        "confidence": draw(st.floats(0, 1)),
        "location": draw(st.none() | st.fixed_dictionaries({"lon": lons, "lat": lats})),
        "density_ppm2": draw(st.none() | st.floats(0, 20)),
    }


@st.composite
def unit_statuses(draw: st.DrawFn) -> dict[str, object]:
    return {
        "unit_id": draw(ids),
        "at": draw(times).isoformat(),
        "kind": draw(
            st.sampled_from(["engine", "ladder", "ambulance", "rescue", "hazmat", "command"])
        ),
        "status": draw(
            st.sampled_from(
                [
                    "available",
                    "dispatched",
                    "en_route",
                    "on_scene",
                    "transporting",
                    "at_hospital",
                    "out_of_service",
                ]
            )
        ),
        "location": draw(st.none() | st.fixed_dictionaries({"lon": lons, "lat": lats})),
    }


@settings(max_examples=150)
@given(
    st.one_of(
        calls().map(lambda d: (Call, d)),
        sensor_alarms().map(lambda d: (SensorAlarm, d)),
        cctv().map(lambda d: (CctvDetection, d)),
        unit_statuses().map(lambda d: (UnitStatus, d)),
    )
)
def test_every_valid_event_round_trips(pair: tuple[type, dict[str, object]]) -> None:
    model, data = pair
    event = decode(model, orjson.dumps(data))
    again = decode(model, encode(event))
    assert again == event
    assert encode(again) == encode(event)


@settings(max_examples=300)
@given(st.binary(max_size=2000), st.sampled_from(sorted(INPUT_MODELS)))
def test_arbitrary_bytes_raise_only_contract_error(raw: bytes, topic: str) -> None:
    try:
        decode(INPUT_MODELS[topic], raw)
    except ContractError as exc:
        assert exc.reason
