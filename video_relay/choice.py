"""Camera choice: which registered cameras (fixed, drones, body cameras) can see a point.

The same rule as ``geo.cameras_seeing`` for the city's CCTV — near first, a camera known
to face the scene preferred over a PTZ one of unknown direction, one facing away left
out — applied to the relay's live registry, where drones and body cameras move.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from geo import metric_crs_for, projection_for
from geo.cameras import DEFAULT_FOV_DEG, UNKNOWN_DIRECTION_PENALTY_M, bearing_deg, camera_sees
from video_relay.cameras import CameraEntry

__all__ = ["CameraChoice", "cameras_near"]


@dataclass(frozen=True, slots=True)
class CameraChoice:
    """A camera that can see the point, how far it is, and the bearing from it to the point."""

    camera: CameraEntry
    distance_m: float
    bearing_deg: float

    def to_json(self) -> dict[str, Any]:
        """The camera as the API shows it, with distance and bearing."""
        out = self.camera.to_json()
        out["distance_m"] = round(self.distance_m, 1)
        out["bearing_deg"] = round(self.bearing_deg, 1)
        return out


def cameras_near(
    cameras: Iterable[CameraEntry],
    lon: float,
    lat: float,
    *,
    max_distance_m: float = 300.0,
    limit: int = 8,
    fov_deg: float = DEFAULT_FOV_DEG,
) -> list[CameraChoice]:
    """Cameras within ``max_distance_m`` of (lon, lat) that can see it, best first."""
    entries = list(cameras)
    if not entries or limit <= 0:
        return []
    projection = projection_for(metric_crs_for(lon, lat))
    x, y = projection.point_to_metric(lon, lat)
    cx, cy = projection.to_metric([e.lon for e in entries], [e.lat for e in entries])
    dx, dy = x - cx, y - cy
    distances = np.hypot(dx, dy)
    ranked: list[tuple[float, str, CameraChoice]] = []
    for i in np.flatnonzero(distances <= max_distance_m):
        entry, distance_m = entries[i], float(distances[i])
        bearing = bearing_deg(float(dx[i]), float(dy[i])) if distance_m > 0 else 0.0
        if distance_m > 0 and not camera_sees(entry.direction_deg, bearing, fov_deg):
            continue
        unknown = entry.direction_deg is None
        score = distance_m + (UNKNOWN_DIRECTION_PENALTY_M if unknown else 0.0)
        ranked.append((score, entry.id, CameraChoice(entry, distance_m, bearing)))
    ranked.sort(key=lambda item: (item[0], item[1]))
    return [choice for _, _, choice in ranked[:limit]]
