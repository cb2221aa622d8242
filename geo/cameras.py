"""Which cameras can see a scene: distance, and field of view where the direction is known."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from geo.city import City
from geo.errors import check_lonlat
from geo.model import Camera

__all__ = ["DEFAULT_FOV_DEG", "CameraView", "bearing_deg", "camera_sees", "cameras_seeing"]

DEFAULT_FOV_DEG = 90.0
# A camera of unknown direction is assumed to be PTZ and able to turn to the scene, but one
# known to face it is preferred: it ranks as if it were this much further away.
UNKNOWN_DIRECTION_PENALTY_M = 50.0


@dataclass(frozen=True)
class CameraView:
    """A camera near a scene: how far, in which bearing, and whether it can see it."""

    camera: Camera
    distance_m: float
    bearing_deg: float
    sees_scene: bool

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form, as in the overlay contract."""
        c = self.camera
        return {
            "id": c.id,
            "location": {"lon": c.lon, "lat": c.lat},
            "distance_m": round(self.distance_m, 1),
            "bearing_deg": round(self.bearing_deg, 1),
            "sees_scene": self.sees_scene,
            "direction_deg": c.direction_deg,
            "purpose": c.purpose,
            "owner": c.owner,
        }


def bearing_deg(dx_m: float, dy_m: float) -> float:
    """Compass bearing (0 = north, 90 = east) of a metric offset.

    >>> bearing_deg(1.0, 0.0), bearing_deg(0.0, -1.0)
    (90.0, 180.0)
    """
    return math.degrees(math.atan2(dx_m, dy_m)) % 360.0


def camera_sees(direction_deg: float | None, bearing_to_scene_deg: float, fov_deg: float) -> bool:
    """Whether a camera facing direction_deg (None = PTZ, any) has the bearing in its view.

    >>> camera_sees(350.0, 10.0, 90.0), camera_sees(180.0, 10.0, 90.0)
    (True, False)
    """
    if direction_deg is None:
        return True
    off = abs((bearing_to_scene_deg - direction_deg + 180.0) % 360.0 - 180.0)
    return off <= fov_deg / 2.0


def cameras_seeing(
    city: City,
    lon: float,
    lat: float,
    *,
    max_distance_m: float = 300.0,
    limit: int = 8,
    fov_deg: float = DEFAULT_FOV_DEG,
) -> list[CameraView]:
    """Cameras that can see a point, best first (near, and known to face it)."""
    check_lonlat(lon, lat)
    if not city.cameras or limit <= 0:
        return []
    tree, _, _ = city.camera_index
    x, y = city.projection.point_to_metric(lon, lat)
    idx = tree.query_ball_point((x, y), max_distance_m)
    views: list[tuple[float, CameraView]] = []
    cam_xy = tree.data
    for i in idx:
        cam = city.cameras[i]
        dx, dy = x - float(cam_xy[i, 0]), y - float(cam_xy[i, 1])
        distance_m = float(np.hypot(dx, dy))
        b = bearing_deg(dx, dy) if distance_m > 0 else (cam.direction_deg or 0.0)
        if not camera_sees(cam.direction_deg, b, fov_deg) and distance_m > 0:
            continue
        score = distance_m + (UNKNOWN_DIRECTION_PENALTY_M if cam.direction_deg is None else 0.0)
        views.append((score, CameraView(cam, distance_m, b, True)))
    views.sort(key=lambda sv: (sv[0], sv[1].camera.id))
    return [v for _, v in views[:limit]]
