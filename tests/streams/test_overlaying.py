"""The overlay record written without re-validation is the contract model's very bytes."""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pytest
import shapely
from pydantic import ValidationError
from shapely.geometry import mapping

from geo import Overlay as GeoOverlay
from geo import build_overlay, load_city
from streams.contract import Overlay, encode
from streams.overlaying import _fast_record, overlay_payload

CITY = load_city(None)
KST = timezone(timedelta(hours=9))
TIMES = (
    datetime(2026, 11, 21, 14, 0, tzinfo=KST),
    datetime(2026, 11, 21, 5, 0, 0, 123456, tzinfo=UTC),
    datetime(2026, 11, 21, 5, 0, 0, 1000, tzinfo=timezone(timedelta(hours=-3, minutes=-30))),
)


def validated(overlay: GeoOverlay, incident_id: str, when: datetime) -> bytes:
    """What the follower published before: the full contract model, then encode."""
    data = {**overlay.to_dict(), "incident_id": incident_id, "updated_at": when.isoformat()}
    return encode(Overlay.model_validate(data))


def test_city_overlays_encode_to_the_validated_bytes() -> None:
    rng = random.Random(5)
    west, south, east, north = CITY.bbox
    kinds = ("fire", "gas_leak", "hazmat", "medical", "collapse")
    with_features = 0
    for k in range(60):
        lon, lat = rng.uniform(west, east), rng.uniform(south, north)
        overlay = build_overlay(CITY, kinds[k % len(kinds)], lon, lat)
        when = TIMES[k % len(TIMES)]
        assert overlay_payload(overlay, f"inc-{k}", when) == validated(overlay, f"inc-{k}", when)
        assert _fast_record(overlay, f"inc-{k}") is not None  # geo's own overlays: no re-check
        with_features += bool(overlay.hydrants and overlay.cameras)
    assert with_features >= 20


def base() -> GeoOverlay:
    return build_overlay(CITY, "gas_leak", 126.978, 37.5665)


def odd_overlays() -> list[GeoOverlay]:
    """Overlays the fast path must hand to the contract model (and get the same bytes)."""
    o = base()
    assert o.hydrants and o.cameras
    h, c = o.hydrants[0], o.cameras[0]
    ring = [[float(v) for v in p] for p in o.hazard_zone["coordinates"][0]]
    multi = mapping(shapely.MultiPolygon([shapely.box(127, 37.5, 127.01, 37.51)]))
    return [
        dataclasses.replace(o, hydrants=[{**h, "location": {"lon": 127, "lat": 37}}]),
        dataclasses.replace(o, hydrants=[{**h, "id": f" {h['id']} "}]),
        dataclasses.replace(o, cameras=[{**c, "distance_m": np.float64(3.5)}]),
        dataclasses.replace(o, cameras=[{**c, "location": {**c["location"], "alt": 3.0}}]),
        dataclasses.replace(o, cameras=[{"location": c["location"], **c}]),  # key order
        dataclasses.replace(o, vulnerable_facilities=[{**h, "note": (1, 2)}]),
        dataclasses.replace(o, hazard_zone={"type": "Polygon", "coordinates": [ring]}),
        dataclasses.replace(o, hazard_zone={"coordinates": (tuple(ring),), "type": "Polygon"}),
        dataclasses.replace(o, hazard_zone=multi),
        dataclasses.replace(
            o, hazard_zone={"type": "Polygon", "coordinates": [[[127, 37], [127.1, 37], [127, 38]]]}
        ),
        dataclasses.replace(
            o,
            hazard_zone={
                "type": "Polygon",
                "coordinates": [[[127.0, 37.0, 5.0], [127.1, 37.0, 5.0]]],
            },
        ),
    ]


@pytest.mark.parametrize("overlay", odd_overlays())
def test_unusual_overlays_still_give_the_validated_bytes(overlay: GeoOverlay) -> None:
    when = TIMES[0]
    assert overlay_payload(overlay, "inc-1", when) == validated(overlay, "inc-1", when)


def bad_overlays() -> list[tuple[GeoOverlay, str]]:
    o = base()
    h = o.hydrants[0]
    far = {"type": "Polygon", "coordinates": [[[200.0, 37.0], [127.1, 37.0], [127.0, 38.0]]]}
    nan = {"type": "Polygon", "coordinates": [[[float("nan"), 37.0], [127.1, 37.0]]]}
    text = {"type": "Polygon", "coordinates": [[["127.0", "37.0"], ["127.1", "37.0"]]]}
    return [
        (dataclasses.replace(o, hazard_zone=far), "inc-1"),
        (dataclasses.replace(o, hazard_zone=nan), "inc-1"),
        (dataclasses.replace(o, hazard_zone=text), "inc-1"),
        (dataclasses.replace(o, hazard_zone={"type": "Circle", "coordinates": []}), "inc-1"),
        (dataclasses.replace(o, hydrants=[{**h, "location": {"lon": 190.0, "lat": 37.0}}]), "i"),
        (dataclasses.replace(o, hydrants=[{**h, "id": "x" * 200}]), "inc-1"),
        (o, "bad id with spaces"),
        (o, ""),
    ]


@pytest.mark.parametrize(("overlay", "incident_id"), bad_overlays())
def test_bad_overlays_are_refused_as_before(overlay: GeoOverlay, incident_id: str) -> None:
    with pytest.raises(ValidationError):
        validated(overlay, incident_id, TIMES[0])
    with pytest.raises(ValidationError):
        overlay_payload(overlay, incident_id, TIMES[0])


def test_payload_round_trips_through_the_contract() -> None:
    overlay = base()
    payload = overlay_payload(overlay, "inc-9", TIMES[1])
    record = Overlay.model_validate_json(payload)
    assert record.incident_id == "inc-9" and record.updated_at == TIMES[1]
    assert len(record.hydrants) == len(overlay.hydrants)
    assert record.hazard_zone["type"] == "Polygon"
