"""Camera choice over the live registry: near first, facing preferred, facing away left out."""

from __future__ import annotations

import math

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from video_relay_kit import CITY_HALL, StartRelay

from access import Role
from video_relay.cameras import CameraEntry
from video_relay.choice import cameras_near

SCENE = (126.9780, 37.5665)
M_PER_DEG_LAT = 111_000.0


def north_of_scene(cam_id: str, metres: float, direction_deg: float | None) -> CameraEntry:
    return CameraEntry(
        cam_id, SCENE[0], SCENE[1] + metres / M_PER_DEG_LAT, direction_deg=direction_deg
    )


def test_near_facing_cameras_come_first_and_facing_away_is_left_out() -> None:
    cameras = [
        north_of_scene("FACING-100", 100, 180.0),  # looks south, at the scene
        north_of_scene("PTZ-80", 80, None),  # unknown direction: ranks as if 130 m away
        north_of_scene("AWAY-20", 20, 0.0),  # looks north, away from the scene
        north_of_scene("FAR-400", 400, 180.0),
        CameraEntry("DRONE-ON-SCENE", *SCENE, kind="drone"),
    ]
    chosen = cameras_near(cameras, *SCENE, max_distance_m=300)
    assert [c.camera.id for c in chosen] == ["DRONE-ON-SCENE", "FACING-100", "PTZ-80"]
    assert chosen[1].distance_m == pytest.approx(100, rel=0.02)
    assert chosen[1].bearing_deg == pytest.approx(180, abs=1)
    assert cameras_near(cameras, *SCENE, limit=1)[0].camera.id == "DRONE-ON-SCENE"
    assert cameras_near([], *SCENE) == []


@given(
    offsets=st.lists(
        st.tuples(st.floats(-600, 600), st.floats(-600, 600), st.none() | st.floats(0, 359.9)),
        max_size=30,
    ),
    max_distance_m=st.floats(1, 500),
    limit=st.integers(0, 10),
)
@settings(max_examples=60, deadline=None)
def test_choice_invariants(
    offsets: list[tuple[float, float, float | None]], max_distance_m: float, limit: int
) -> None:
    per_deg_lon = M_PER_DEG_LAT * math.cos(math.radians(SCENE[1]))
    cameras = [
        CameraEntry(
            f"C{i}", SCENE[0] + dx / per_deg_lon, SCENE[1] + dy / M_PER_DEG_LAT, direction_deg=d
        )
        for i, (dx, dy, d) in enumerate(offsets)
    ]
    chosen = cameras_near(cameras, *SCENE, max_distance_m=max_distance_m, limit=limit)
    assert len(chosen) <= limit
    assert len({c.camera.id for c in chosen}) == len(chosen)
    assert all(c.distance_m <= max_distance_m for c in chosen)
    assert all(0 <= c.bearing_deg < 360 for c in chosen)
    scores = [c.distance_m + (50 if c.camera.direction_deg is None else 0) for c in chosen]
    assert scores == sorted(scores)


async def test_near_endpoint_includes_registered_drones(start_relay: StartRelay) -> None:
    relay = await start_relay()
    relay.relay.registry.register(
        CameraEntry("DRONE-1", CITY_HALL.lon, CITY_HALL.lat + 0.0005, kind="drone")
    )
    headers = {"Authorization": f"Bearer {relay.token(Role.DISPATCHER)}"}
    async with httpx.AsyncClient(base_url=relay.http) as client:
        reply = await client.get(
            "/api/video/cameras/near",
            params={"lon": CITY_HALL.lon, "lat": CITY_HALL.lat, "max_distance_m": 200},
            headers=headers,
        )
        assert reply.status_code == 200
        ids = [c["id"] for c in reply.json()["cameras"]]
        assert ids[0] == CITY_HALL.id and "DRONE-1" in ids
        bad = await client.get(
            "/api/video/cameras/near", params={"lon": 500, "lat": 0}, headers=headers
        )
        assert bad.status_code == 422
