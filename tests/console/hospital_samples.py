"""Contract-valid emergency-room records for console tests: status, destinations, MCI plans.

Hospitals are real Seoul emergency rooms near City Hall (``hpid`` of the city's registry)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from streams.contract import DeadLetter, Destination, ErStatus, MciPlan

SNUH = ("A1100017", "서울대학교병원", "권역응급의료센터", (126.99896, 37.57966))
KANGBUK = ("A1100006", "강북삼성병원", "지역응급의료센터", (126.96793, 37.56849))
NMC = ("A1100052", "국립중앙의료원", "지역응급의료센터", (127.00579, 37.56733))
PAIK = ("A1100033", "인제대학교서울백병원", "지역응급의료기관", (126.98884, 37.56507))
HOSPITALS = (SNUH, KANGBUK, NMC, PAIK)


def er_status(hospital_id: str, beds: int, age_s: float = 30.0, **caps: bool) -> dict[str, Any]:
    """An ``er-status`` record reported ``age_s`` ago."""
    at = datetime.now(UTC) - timedelta(seconds=age_s)
    data = {
        "id": f"ers-{hospital_id}-{int(at.timestamp() * 1000)}",
        "hospital_id": hospital_id,
        "at": at.isoformat(),
        "beds_available": beds,
        "beds_total": 20,
        "capabilities": {"pci": True, "stroke": True, "trauma": False, **caps},
        "source": "test",
    }
    return ErStatus.model_validate(data).model_dump(mode="json")


def ranked(stale_id: str | None = None) -> list[dict[str, Any]]:
    """The four hospitals ranked for a cardiac arrest at City Hall (``stale_id``'s status old)."""
    out = []
    for i, (hpid, name, level, _) in enumerate(HOSPITALS):
        stale = hpid == stale_id
        out.append(
            {
                "hospital_id": hpid,
                "name": name,
                "level": level,
                "drive_s": 420.0 + 120 * i,
                "beds_available": 4 - i,
                "status_age_s": 1800.0 if stale else 60.0,
                "stale": stale,
                "capable": i < 3,
                "reason": "PCI 가능" if i < 3 else "PCI 불가",
            }
        )
    return out


def destination(
    incident_id: str,
    unit_id: str,
    hospital: tuple[str, str, str, tuple[float, float]] = SNUH,
    status: str = "recommended",
    version: int = 1,
    command_id: str | None = None,
    start: tuple[float, float] = (126.9780, 37.5665),
    stale_id: str | None = None,
    at: datetime | None = None,
) -> dict[str, Any]:
    """A ``destinations`` record taking ``unit_id``'s patient to ``hospital``."""
    hpid, name, _, end = hospital
    mid = ((start[0] + end[0]) / 2, start[1])
    data = {
        "incident_id": incident_id,
        "unit_id": unit_id,
        "version": version,
        "issued_at": (at or datetime.now(UTC)).isoformat(),
        "condition": "cardiac_arrest",
        "severity": "critical",
        "needs": ["pci"],
        "status": status,
        "hospital_id": hpid,
        "hospital_name": name,
        "eta_s": 540.0,
        "route": {"type": "LineString", "coordinates": [list(start), list(mid), list(end)]},
        "reason": f"PCI 가능 · 9분 · 병상 4 ({name})",
        "ranked": ranked(stale_id),
        "command_id": command_id,
    }
    return Destination.model_validate(data).model_dump(mode="json")


def mci_plan(incident_id: str, version: int = 1) -> dict[str, Any]:
    """A 30-patient plan over the four hospitals, partly transported, 2 unallocated."""
    shares = [(2, 3, 4, 1, 1, 0), (1, 3, 4, 0, 0, 2), (1, 2, 3, 0, 0, 0), (0, 2, 3, 0, 0, 0)]
    allocations: list[dict[str, Any]] = []
    for (hpid, name, _, _), (c, s, m, tc, ts, tm) in zip(HOSPITALS, shares, strict=True):
        allocations.append(
            {
                "hospital_id": hpid,
                "name": name,
                "drive_s": 300.0 + 60 * len(allocations),
                "capacity": c + s + m,
                "planned": {"critical": c, "serious": s, "minor": m},
                "transported": {"critical": tc, "serious": ts, "minor": tm},
            }
        )
    data = {
        "incident_id": incident_id,
        "version": version,
        "updated_at": datetime.now(UTC).isoformat(),
        "patients_total": 30,
        "allocations": allocations,
        "unallocated": 2,
    }
    return MciPlan.model_validate(data).model_dump(mode="json")


def refused_choice(command: dict[str, Any], error: str) -> dict[str, Any]:
    """The dead letter the worker writes for a ``choose_destination`` it refuses."""
    data = {
        "source_topic": "gt-commands",
        "partition": 0,
        "offset": 7,
        "received_at": datetime.now(UTC).isoformat(),
        "error": error,
        "payload": orjson.dumps(command).decode(),
        "event_id": command["id"],
        "stage": "dispatch",
    }
    return DeadLetter.model_validate(data).model_dump(mode="json")
