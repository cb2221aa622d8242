"""Which cameras see a scene."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from geo import City, cameras_seeing
from geo.cameras import bearing_deg, camera_sees


@pytest.mark.parametrize(
    ("direction", "bearing", "fov", "expected"),
    [
        (0.0, 10.0, 90.0, True),
        (0.0, 50.0, 90.0, False),
        (350.0, 20.0, 90.0, True),
        (90.0, 270.0, 90.0, False),
        (None, 123.0, 90.0, True),
    ],
)
def test_camera_sees(direction: float | None, bearing: float, fov: float, expected: bool) -> None:
    assert camera_sees(direction, bearing, fov) is expected


@given(dx=st.floats(-1e4, 1e4), dy=st.floats(-1e4, 1e4))
def test_bearing_in_range(dx: float, dy: float) -> None:
    assert 0.0 <= bearing_deg(dx, dy) < 360.0 or bearing_deg(dx, dy) == 360.0


def test_cameras_seeing_in_builtin_city(builtin: City) -> None:
    views = cameras_seeing(builtin, 126.978, 37.5665, max_distance_m=400, limit=20)
    assert views, "the demo city has cameras around City Hall"
    assert len(views) <= 20
    for v in views:
        assert v.distance_m <= 400
        assert v.sees_scene
        assert camera_sees(v.camera.direction_deg, v.bearing_deg, 90.0)
    known = [v.distance_m for v in views if v.camera.direction_deg is not None]
    assert known == sorted(known)
    all_near = {c.id for c in builtin.cameras}
    assert {v.camera.id for v in views} <= all_near
    assert cameras_seeing(builtin, 126.978, 37.5665, limit=0) == []
