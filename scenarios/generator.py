"""A steady, realistic trickle of emergencies over a city, as contract events.

Incidents are drawn near stations' districts; each produces a burst of related evidence
(several callers, sometimes a camera or a sensor), as real emergencies do. Pure: the
caller supplies the random generator and the clock, and gets events to send.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from geo import City

KST = timezone(timedelta(hours=9))

CATEGORY_MIX = [
    ("medical", 0.46),
    ("traffic", 0.14),
    ("fire", 0.10),
    ("rescue", 0.12),
    ("cardiac_arrest", 0.05),
    ("other", 0.07),
    ("hazmat", 0.02),
    ("flood", 0.02),
    ("collapse", 0.01),
    ("crowd", 0.01),
]
"""Share of 119 calls by kind, rounded from 소방청 통계연보 (EMS ≈ 60 % of dispatches, of
which out-of-hospital cardiac arrest ≈ 5 %; fires ≈ 10 %; rescue ≈ 12 %)."""

DESCRIPTIONS = {
    "fire": ["건물 3층에서 연기가 납니다", "주방 화재, 불길이 보여요", "차량에서 불이 났어요"],
    "medical": ["어머니가 쓰러지셨어요", "호흡이 곤란합니다", "넘어져서 머리를 다쳤어요"],
    "cardiac_arrest": ["사람이 쓰러져 숨을 안 쉬어요", "의식도 맥박도 없어요"],
    "traffic": ["승용차 두 대 추돌", "오토바이 사고, 운전자 부상"],
    "rescue": ["엘리베이터에 갇혔어요", "문이 잠겨 아이가 안에 있어요"],
    "hazmat": ["공장에서 이상한 냄새가 나요"],
    "flood": ["지하차도가 물에 잠겼어요"],
    "collapse": ["공사장 벽이 무너졌어요"],
    "crowd": ["골목에 사람이 너무 많아 밀려요"],
    "other": ["전선이 끊어져 있어요"],
}


CALLERS_ALPHA = 1.1
"""Pareto shape of callers per emergency in a surge (≈ 55 % draw no further call, a few
percent a dozen or more; the Itaewon crush drew over a hundred 119 calls)."""
MAX_FOLLOW_UP_CALLERS = 60
MAX_CALLER_DELAY_S = 20 * 60.0
"""Follow-up calls come within 20 minutes of the first (within fusion's join window)."""
CAMERA_PERIOD_S = 10.0
CAMERA_FRAMES = (3, 20)
"""Video analytics re-report a detection while it persists (every 10 s, 0.5–3.5 min here)."""
SENSOR_PERIOD_S = 30.0
SENSOR_REPEATS = (2, 6)
"""A sensor above its threshold re-alarms at its reporting interval (30 s here)."""
REPEATS = {  # topic → (id prefix, time field, how many, every how many seconds)
    "cctv-events": ("cctv", "detected_at", CAMERA_FRAMES, CAMERA_PERIOD_S),
    "sensor-alarms": ("sen", "measured_at", SENSOR_REPEATS, SENSOR_PERIOD_S),
}


def _later(iso: str, seconds: float) -> str:
    at = datetime.fromisoformat(iso) + timedelta(seconds=seconds)
    return at.isoformat(timespec="milliseconds")


@dataclass(frozen=True, slots=True)
class GeneratedEvent:
    """One event to send: its topic (base name), key and JSON value."""

    topic: str
    key: str
    value: dict[str, Any] | bytes


def _jitter(rng: random.Random, lon: float, lat: float, metres: float) -> tuple[float, float]:
    r = metres * math.sqrt(rng.random())
    a = rng.uniform(0, 2 * math.pi)
    return (
        lon + r * math.cos(a) / (111_320 * math.cos(math.radians(lat))),
        lat + r * math.sin(a) / 111_320,
    )


class CityTraffic:
    """Generates emergencies and unit reports over a city."""

    def __init__(self, city: City, rng: random.Random, malformed_share: float = 0.005) -> None:
        self._city = city
        self._rng = rng
        self._malformed = malformed_share
        self._seq = 0
        self._anchors = [(s.lon, s.lat) for s in city.stations] or [
            ((city.bbox[0] + city.bbox[2]) / 2, (city.bbox[1] + city.bbox[3]) / 2)
        ]
        self._cameras = list(city.cameras)

    def _id(self, prefix: str) -> str:
        self._seq += 1
        return f"{prefix}-{self._rng.getrandbits(32):08x}-{self._seq:06d}"

    def incident(self, now: datetime) -> list[GeneratedEvent]:
        """The evidence of one new emergency: one to several calls, maybe a camera or sensor."""
        rng = self._rng
        if rng.random() < self._malformed:
            return [GeneratedEvent("calls", "bad", b'{"id": "bad-input", "location": "nowhere"')]
        category = rng.choices([c for c, _ in CATEGORY_MIX], [w for _, w in CATEGORY_MIX])[0]
        lon, lat = _jitter(rng, *rng.choice(self._anchors), 2500)
        callers = 1 + (rng.random() < 0.3) * rng.randint(1, 4)
        events = []
        for i in range(callers):
            clon, clat = _jitter(rng, lon, lat, 60)
            call_id = self._id("call")
            events.append(
                GeneratedEvent(
                    "calls",
                    call_id,
                    {
                        "id": call_id,
                        "received_at": (now + timedelta(seconds=i * rng.uniform(5, 40)))
                        .astimezone(KST)
                        .isoformat(timespec="milliseconds"),
                        "location": {
                            "lon": round(clon, 6),
                            "lat": round(clat, 6),
                            "accuracy_m": 30,
                        },
                        "category": category,
                        "description": rng.choice(DESCRIPTIONS[category]),
                        "patients": rng.randint(0, 2) if category in ("medical", "traffic") else 0,
                        "caller": {
                            "phone": f"+82-10-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}",
                            "language": "ko",
                        },
                    },
                )
            )
        if category == "fire" and rng.random() < 0.5:
            cam = self._id("cctv")
            events.append(
                GeneratedEvent(
                    "cctv-events",
                    "CAM-SIM",
                    {
                        "id": cam,
                        "detected_at": now.astimezone(KST).isoformat(timespec="milliseconds"),
                        "camera_id": "CAM-SIM",
                        "kind": "smoke",
                        "confidence": round(rng.uniform(0.6, 0.98), 2),
                        "location": {"lon": round(lon, 6), "lat": round(lat, 6)},
                        "density_ppm2": None,
                        "snapshot_url": None,
                    },
                )
            )
        if category == "fire" and rng.random() < 0.3:
            sid = self._id("sen")
            events.append(
                GeneratedEvent(
                    "sensor-alarms",
                    "SMK-SIM",
                    {
                        "id": sid,
                        "measured_at": now.astimezone(KST).isoformat(timespec="milliseconds"),
                        "sensor_id": "SMK-SIM",
                        "kind": "smoke_detector",
                        "value": 1.0,
                        "unit": "alarm",
                        "threshold": 1.0,
                        "location": {"lon": round(lon, 6), "lat": round(lat, 6)},
                    },
                )
            )
        return events

    def follow_ups(self, events: list[GeneratedEvent]) -> list[GeneratedEvent]:
        """Further reports of the emergency that ``events`` (from :meth:`incident`) open.

        What makes a disaster's stream clustered: more bystanders calling about the same
        scene (heavy-tailed: most emergencies draw one or two calls, a burning tower or a
        crowd crush dozens), a camera re-detecting what stays in its view every
        ``CAMERA_PERIOD_S``, and a sensor re-alarming every ``SENSOR_PERIOD_S`` while
        above its threshold. Each follow-up has its own id and a later time.
        """
        rng = self._rng
        more: list[GeneratedEvent] = []
        for ev in events:
            if not isinstance(ev.value, dict):
                continue
            value = ev.value
            if ev.topic == "calls" and ev is events[0]:
                callers = min(int(rng.paretovariate(CALLERS_ALPHA)) - 1, MAX_FOLLOW_UP_CALLERS)
                for k in range(callers):
                    lon, lat = _jitter(rng, value["location"]["lon"], value["location"]["lat"], 60)
                    call_id = self._id("call")
                    phone = f"+82-10-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}"
                    delay_s = min((k + 1) * rng.uniform(5, 40), MAX_CALLER_DELAY_S)
                    at = _later(value["received_at"], delay_s)
                    more.append(
                        GeneratedEvent(
                            "calls",
                            call_id,
                            {
                                **value,
                                "id": call_id,
                                "received_at": at,
                                "location": {**value["location"], "lon": lon, "lat": lat},
                                "caller": {**value["caller"], "phone": phone},
                            },
                        )
                    )
            elif ev.topic in REPEATS:  # a camera re-detecting, a sensor re-alarming
                prefix, time_field, count, period_s = REPEATS[ev.topic]
                for k in range(rng.randint(*count)):
                    again = {
                        **value,
                        "id": self._id(prefix),
                        time_field: _later(value[time_field], (k + 1) * period_s),
                    }
                    more.append(GeneratedEvent(ev.topic, ev.key, again))
        return more

    def unit_reports(
        self, now: datetime, limit: int = 20, busy: frozenset[str] = frozenset()
    ) -> Iterator[GeneratedEvent]:
        """Position reports of some idle units, available at their stations."""
        stations = self._rng.sample(list(self._city.stations), min(limit, len(self._city.stations)))
        for station in stations:
            for unit in station.units:
                if unit.unit_id in busy:
                    continue
                yield GeneratedEvent(
                    "unit-status",
                    unit.unit_id,
                    {
                        "unit_id": unit.unit_id,
                        "at": now.astimezone(KST).isoformat(timespec="milliseconds"),
                        "kind": unit.kind,
                        "station_id": station.id,
                        "status": "available",
                        "location": {"lon": station.lon, "lat": station.lat},
                    },
                )
