"""Incident overlays on the built-in city."""

from __future__ import annotations

import json

import shapely
from shapely.geometry import shape

from geo import City, build_overlay
from geo.overlay import HYDRANT_MAX_M


def test_fire_overlay_has_hydrants_cameras_and_zone(builtin: City) -> None:
    overlay = build_overlay(builtin, "fire", 126.978, 37.5665)
    zone = shape(overlay.hazard_zone)
    assert zone.contains(shapely.Point(126.978, 37.5665))
    assert overlay.hydrants, "the demo city has hydrants at every third junction"
    distances = [h["distance_m"] for h in overlay.hydrants]
    assert distances == sorted(distances)
    assert all(d <= HYDRANT_MAX_M for d in distances)
    assert all(h["distance_m"] >= h["straight_distance_m"] - 0.1 for h in overlay.hydrants)
    assert overlay.cameras
    json.dumps(overlay.to_dict())  # JSON-ready


def test_gas_leak_downwind_reaches_facilities(builtin: City) -> None:
    # the care home DEMO-CH1 lies ~300 m east of City Hall: inside only with a west wind
    calm = build_overlay(builtin, "gas_leak", 126.978, 37.5665)
    windy = build_overlay(
        builtin, "gas_leak", 126.978, 37.5665, wind_from_deg=270, wind_speed_mps=3
    )
    ids_calm = {f["id"] for f in calm.vulnerable_facilities}
    ids_windy = {f["id"] for f in windy.vulnerable_facilities}
    assert "DEMO-CH1" in ids_windy
    assert "DEMO-CH1" not in ids_calm
    zone = shape(windy.hazard_zone)
    for f in windy.vulnerable_facilities:
        assert zone.intersects(shapely.Point(f["location"]["lon"], f["location"]["lat"]))


def test_overlay_far_from_everything(builtin: City) -> None:
    overlay = build_overlay(builtin, "medical", 127.5, 37.9)
    assert overlay.hydrants == []
    assert overlay.cameras == []
    assert overlay.vulnerable_facilities == []
    assert shape(overlay.hazard_zone).contains(shapely.Point(127.5, 37.9))
