"""Incident type, priority and golden time for each kind of evidence (cited defaults).

Golden time: the target from call to first unit on scene.
- fire 7 min: 소방청 (Korea National Fire Agency) 화재 현장 도착 목표 7분 — the basis of
  Seoul's "response over 7 min" statistics (seoul_fires_2021_response_over_7min.csv).
- cardiac arrest 4 min: brain damage begins 4–6 min after circulation stops (American
  Heart Association); Korea's 4-minute "golden time" for CPR.
- medical / traffic 8 min: NFPA 1710 §4.1.2.1 — advanced life support within 8 min travel.
- crowd crush 4 min: compressive asphyxia kills within minutes, as in cardiac arrest
  (Itaewon 2022 inquiry; Fruin, "The causes and prevention of crowd disasters", 1993).
- rescue / collapse 7 min: as fire (same first-due companies, 소방청 7분).
- hazmat / gas leak 10 min, flood / structural / earthquake / other 15 min: no single standard;
  deliberately looser targets so these never displace life-critical calls in recommendations.
"""

from __future__ import annotations

from streams.contract import CallCategory, CctvKind, IncidentType, SensorKind

GOLDEN_TIME_S: dict[IncidentType, float] = {
    IncidentType.FIRE: 7 * 60,
    IncidentType.CARDIAC_ARREST: 4 * 60,
    IncidentType.MEDICAL: 8 * 60,
    IncidentType.TRAFFIC: 8 * 60,
    IncidentType.CROWD: 4 * 60,
    IncidentType.RESCUE: 7 * 60,
    IncidentType.COLLAPSE: 7 * 60,
    IncidentType.HAZMAT: 10 * 60,
    IncidentType.GAS_LEAK: 10 * 60,
    IncidentType.FLOOD: 15 * 60,
    IncidentType.STRUCTURAL: 15 * 60,
    IncidentType.EARTHQUAKE: 15 * 60,
    IncidentType.OTHER: 15 * 60,
}

BASE_PRIORITY: dict[IncidentType, int] = {
    IncidentType.CARDIAC_ARREST: 1,
    IncidentType.FIRE: 2,
    IncidentType.CROWD: 2,
    IncidentType.COLLAPSE: 2,
    IncidentType.RESCUE: 2,
    IncidentType.HAZMAT: 2,
    IncidentType.GAS_LEAK: 2,
    IncidentType.MEDICAL: 3,
    IncidentType.TRAFFIC: 3,
    IncidentType.FLOOD: 3,
    IncidentType.STRUCTURAL: 3,
    IncidentType.EARTHQUAKE: 2,
    IncidentType.OTHER: 4,
}

CALL_TYPE: dict[CallCategory, IncidentType] = {
    CallCategory.FIRE: IncidentType.FIRE,
    CallCategory.MEDICAL: IncidentType.MEDICAL,
    CallCategory.CARDIAC_ARREST: IncidentType.CARDIAC_ARREST,
    CallCategory.RESCUE: IncidentType.RESCUE,
    CallCategory.TRAFFIC: IncidentType.TRAFFIC,
    CallCategory.HAZMAT: IncidentType.HAZMAT,
    CallCategory.FLOOD: IncidentType.FLOOD,
    CallCategory.COLLAPSE: IncidentType.COLLAPSE,
    CallCategory.CROWD: IncidentType.CROWD,
    CallCategory.OTHER: IncidentType.OTHER,
}

CCTV_TYPE: dict[CctvKind, IncidentType | None] = {
    CctvKind.SMOKE: IncidentType.FIRE,
    CctvKind.FIRE: IncidentType.FIRE,
    CctvKind.CROWD_DENSITY: IncidentType.CROWD,
    CctvKind.FALL: IncidentType.MEDICAL,
    CctvKind.COLLISION: IncidentType.TRAFFIC,
    CctvKind.FLOOD: IncidentType.FLOOD,
    CctvKind.INTRUSION: None,  # security matter, not an emergency response: recorded only
}

SENSOR_TYPE: dict[SensorKind, IncidentType | None] = {
    SensorKind.SMOKE_DETECTOR: IncidentType.FIRE,
    SensorKind.HEAT: IncidentType.FIRE,
    SensorKind.GAS: IncidentType.GAS_LEAK,
    SensorKind.WATER_LEVEL: IncidentType.FLOOD,
    SensorKind.BRIDGE_STRAIN: IncidentType.STRUCTURAL,
    SensorKind.TUNNEL_CO: IncidentType.HAZMAT,
    SensorKind.SEISMIC: IncidentType.EARTHQUAKE,
    SensorKind.AIR_QUALITY_PM25: None,  # public-health advisory, not a dispatch
    SensorKind.WIND: None,  # feeds plume direction of hazard zones
}


def golden_time_s(kind: IncidentType) -> float:
    """The golden-time target of an incident type, in seconds."""
    return GOLDEN_TIME_S[kind]
