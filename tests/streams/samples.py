"""Named sample evidence for fusion tests (central Seoul)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from streams.contract import EvidenceSource, IncidentType
from streams.evidence import CALL_WEIGHT, SENSOR_WEIGHT, Evidence

KST = timezone(timedelta(hours=9))
T0 = datetime(2026, 11, 21, 22, 15, tzinfo=KST)
CITY_HALL = (126.9780, 37.5665)
ITAEWON_ALLEY = (126.9939, 37.5345)


def call_evidence(
    n: int,
    at_s: float = 0,
    lon: float = CITY_HALL[0],
    lat: float = CITY_HALL[1],
    kind: IncidentType = IncidentType.FIRE,
    caller: str | None = None,
    patients: int = 0,
) -> Evidence:
    return Evidence(
        source=EvidenceSource.CALL,
        id=f"call-{n}",
        at=T0 + timedelta(seconds=at_s),
        type=kind,
        lon=lon,
        lat=lat,
        weight=CALL_WEIGHT,
        reporter=caller or f"phone:{n}",
        kind=kind.value,
        patients=patients,
    )


def camera_evidence(
    n: int,
    confidence: float,
    at_s: float = 0,
    lon: float = CITY_HALL[0],
    lat: float = CITY_HALL[1],
    kind: IncidentType = IncidentType.FIRE,
    density_ppm2: float | None = None,
) -> Evidence:
    return Evidence(
        source=EvidenceSource.CCTV,
        id=f"cctv-{n}",
        at=T0 + timedelta(seconds=at_s),
        type=kind,
        lon=lon,
        lat=lat,
        weight=confidence,
        reporter="camera:CAM-1",
        kind="smoke",
        density_ppm2=density_ppm2,
    )


def sensor_evidence(
    n: int, at_s: float = 0, lon: float = CITY_HALL[0], lat: float = CITY_HALL[1]
) -> Evidence:
    return Evidence(
        source=EvidenceSource.SENSOR,
        id=f"sen-{n}",
        at=T0 + timedelta(seconds=at_s),
        type=IncidentType.FIRE,
        lon=lon,
        lat=lat,
        weight=SENSOR_WEIGHT,
        reporter="sensor:SMK-1",
        kind="smoke_detector",
    )
