"""Intake: raw input bytes → validated event → evidence, or a readable rejection."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from streams.contract import (
    Call,
    CctvDetection,
    ContractError,
    ErStatus,
    SensorAlarm,
    UnitStatus,
    decode,
)
from streams.evidence import Evidence, from_call, from_cctv, from_sensor

MAX_FUTURE = timedelta(minutes=5)
"""Clocks drift; an event stamped further ahead than this is refused as implausible."""
MAX_AGE = timedelta(days=2)
"""Older inputs are history, not emergencies; they are refused rather than fused."""


@dataclass(frozen=True, slots=True)
class ServiceArea:
    """The rectangle (with margin) inside which inputs are plausible."""

    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float

    def contains(self, lon: float, lat: float) -> bool:
        """True when a point lies in the service area."""
        return self.min_lon <= lon <= self.max_lon and self.min_lat <= lat <= self.max_lat

    @classmethod
    def around(
        cls, bbox: tuple[float, float, float, float], margin_deg: float = 0.1
    ) -> ServiceArea:
        """The bounding box of a city widened by a margin (≈ 10 km)."""
        return cls(
            bbox[0] - margin_deg, bbox[1] - margin_deg, bbox[2] + margin_deg, bbox[3] + margin_deg
        )


class Intake:
    """Validates input payloads of the three evidence topics and turns them into evidence."""

    def __init__(
        self,
        area: ServiceArea,
        camera_positions: Mapping[str, tuple[float, float]],
        clock: Callable[[], datetime],
    ) -> None:
        self._area = area
        self._cameras = camera_positions
        self._clock = clock

    def evidence(self, topic: str, payload: bytes | None) -> Evidence:
        """The evidence an input carries, or :class:`ContractError` saying why it is refused."""
        if topic == "calls":
            call = decode(Call, payload)
            ev = from_call(call)
        elif topic == "cctv-events":
            det = decode(CctvDetection, payload)
            if det.location is not None:
                lon, lat = det.location.lon, det.location.lat
            elif det.camera_id in self._cameras:
                lon, lat = self._cameras[det.camera_id]
            else:
                raise ContractError(
                    f"camera {det.camera_id!r} is not in the camera registry and the detection "
                    "has no location",
                    det.id,
                )
            ev = from_cctv(det, lon, lat)
        elif topic == "sensor-alarms":
            ev = from_sensor(decode(SensorAlarm, payload))
        else:
            raise ContractError(f"no intake for topic {topic!r}")
        self._check_plausible(ev)
        return ev

    def unit_status(self, payload: bytes | None) -> UnitStatus:
        """A unit report, refused when its time is implausible (a unit may leave the city)."""
        status = decode(UnitStatus, payload)
        self._check_time(status.at, status.id)
        return status

    def er_status(self, payload: bytes | None) -> ErStatus:
        """An emergency room's status, refused when its time is implausible (an old one is
        kept: it is flagged stale where it is used)."""
        status = decode(ErStatus, payload)
        self._check_time(status.at, status.id)
        return status

    def _check_plausible(self, ev: Evidence) -> None:
        if not self._area.contains(ev.lon, ev.lat):
            raise ContractError(
                f"location ({ev.lon:.5f}, {ev.lat:.5f}) is outside the service area", ev.id
            )
        self._check_time(ev.at, ev.id)

    def _check_time(self, at: datetime, event_id: str) -> None:
        now = self._clock()
        if at > now + MAX_FUTURE:
            raise ContractError(f"time {at.isoformat()} is in the future", event_id)
        if at < now - MAX_AGE:
            raise ContractError(f"time {at.isoformat()} is more than 2 days old", event_id)
