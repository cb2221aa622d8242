"""A normal day: emergencies arriving at the day's pace, each with its callers and sensors.

Arrivals follow the daily curve of ``DayPace`` slot by slot: each ten-minute slot of the
scenario clock holds the number of emergencies the published figures give it (its
fractional part drawn at random), at random times inside it. The day's volume therefore
follows the published volume and curve closely instead of with a Poisson count's noise
(about ±27 % over ten minutes at Seoul's noon rate); when in the slot each emergency
comes, where, and what it is, stay random. Each emergency is one dispatch: a first call, maybe
more callers, for fires a smoke alarm, and a report from a camera of the city's CCTV layer
when one is near. Calls that need no dispatch (advice, hospital information, silent and
mistaken calls: most 119 calls) are counted, not sent: they never reach the incident
stream. Pure: the caller supplies the random generator and drains the schedule.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from geo import City
from scenarios.pace import DayPace
from scenarios.places import IncidentPlaces
from scenarios.schedule import KST, Schedule

__all__ = ["DESCRIPTIONS", "NormalDay"]

DESCRIPTIONS = {
    "fire": ["건물에서 연기가 납니다", "주방 화재, 불길이 보여요", "차량에서 불이 났어요"],
    "medical": ["어머니가 쓰러지셨어요", "호흡이 곤란합니다", "계단에서 넘어져 머리를 다쳤어요"],
    "cardiac_arrest": ["사람이 쓰러져 숨을 안 쉬어요", "의식도 맥박도 없어요"],
    "traffic": ["승용차 두 대 추돌", "오토바이 사고, 운전자 부상"],
    "rescue": ["엘리베이터에 갇혔어요", "문이 잠겨 아이가 안에 있어요", "산에서 길을 잃었어요"],
    "hazmat": ["가스 냄새가 심하게 나요"],
    "flood": ["지하실에 물이 차고 있어요"],
    "collapse": ["공사장 벽이 무너졌어요"],
    "crowd": ["골목에 사람이 너무 많아 밀려요"],
    "other": ["벌집이 있어요", "멧돼지가 나타났어요", "전선이 끊어져 있어요"],
}
CAMERA_KINDS = {"fire": "smoke", "traffic": "collision", "crowd": "crowd_density"}
CALLER_SPREAD_M = 60.0
SLOT_S = 600.0
"""Arrivals are drawn per ten-minute slot of the scenario clock."""


class NormalDay:
    """Schedules a city's ordinary emergencies, hour by hour of scenario time."""

    def __init__(
        self, city: City, pace: DayPace, rng: random.Random, start: datetime, schedule: Schedule
    ) -> None:
        self.city, self.pace, self._rng = city, pace, rng
        self._start = start.astimezone(KST)
        self._schedule = schedule
        self.places = IncidentPlaces(city, rng)
        self._arrivals = random.Random(rng.getrandbits(64))  # times apart from contents
        self._slot_end_s = 0.0  # arrivals are drawn up to here
        self._pending: list[float] = []  # drawn arrival times not yet scheduled, in order
        self._seq = 0
        self.counts: Counter[str] = Counter()
        self._categories = list(pace.per_day)
        self._weights = [pace.per_day[c] for c in self._categories]
        self._not_dispatched_per_dispatch = max(
            0.0, pace.calls_per_day / pace.dispatches_per_day - 1.0 - pace.extra_caller_share
        )
        # background traffic draws from its own generator: the emergencies stay the same
        # whatever the steps the day is advanced in
        self._bg = random.Random(rng.getrandbits(64))
        self._weather = [self.places.draw(self._bg) for _ in range(pace.weather_stations)]
        self._next_weather_s = 0.0
        per_day = pace.camera_intrusions_per_camera_day * len(city.cameras)
        self._intrusion_per_s = per_day / 86400.0
        self._next_intrusion_s = self._gap(self._intrusion_per_s)

    def _gap(self, per_s: float) -> float:
        return self._bg.expovariate(per_s) if per_s > 0 else float("inf")

    @property
    def rng(self) -> random.Random:
        """The day's random generator (a scenario drawn from it replays with the seed)."""
        return self._rng

    def clock(self, at_s: float) -> datetime:
        """The scenario time ``at_s`` seconds after the start."""
        return self._start + timedelta(seconds=at_s)

    def _draw_slot(self) -> None:
        """Draw the arrival times of the next slot (up to the next ten-minute boundary)."""
        a = self._slot_end_s
        at = self.clock(a)
        into_slot_s = (at.minute % 10) * 60 + at.second + at.microsecond / 1e6
        b = a + SLOT_S - into_slot_s
        expected = self.pace.per_s(at.hour) * (b - a)
        n = int(expected) + (self._arrivals.random() < expected - int(expected))
        self._pending.extend(sorted(self._arrivals.uniform(a, b) for _ in range(n)))
        self._slot_end_s = b

    def advance(self, until_s: float) -> int:
        """Schedule every emergency arriving up to scenario second ``until_s``; how many."""
        while self._slot_end_s <= until_s:
            self._draw_slot()
        n = 0
        while self._pending and self._pending[0] <= until_s:
            self.emergency(self._pending.pop(0))
            n += 1
        self._background(until_s)
        return n

    def _background(self, until_s: float) -> None:
        bg = self._bg
        while self._weather and self._next_weather_s <= until_s:
            for k, (lon, lat) in enumerate(self._weather):
                self.sensor(
                    self._next_weather_s,
                    "wind",
                    lon,
                    lat,
                    round(bg.uniform(0.5, 6.0), 1),
                    "m/s",
                    None,
                    f"AWS-{k:02d}",
                    direction_deg=round(bg.gauss(270.0, 40.0), 0) % 360.0,
                    rng=bg,
                )
            self._next_weather_s += self.pace.weather_every_s
        while self._next_intrusion_s <= until_s:
            camera = self.city.cameras[bg.randrange(len(self.city.cameras))]
            self.detection(
                self._next_intrusion_s, camera.id, "intrusion", camera.lon, camera.lat, rng=bg
            )
            self._next_intrusion_s += self._gap(self._intrusion_per_s)

    def _id(self, prefix: str, rng: random.Random | None = None) -> str:
        self._seq += 1
        return f"{prefix}-{(rng or self._rng).getrandbits(32):08x}-{self._seq:06d}"

    def emergency(
        self,
        at_s: float,
        category: str | None = None,
        place: tuple[float, float] | None = None,
        *,
        description: str | None = None,
        callers: int | None = None,
        patients: int | None = None,
    ) -> tuple[float, float]:
        """Schedule one emergency's evidence; returns where it is."""
        rng = self._rng
        kind = category or rng.choices(self._categories, self._weights)[0]
        lon, lat = place or self.places.draw()
        self.counts[f"dispatch:{kind}"] += 1
        self.counts["dispatches"] += 1
        if callers is None:
            if kind == "fire":
                callers = 1 + _poisson(rng, self.pace.fire_callers_mean - 1.0)
            else:
                callers = 1 + (rng.random() < self.pace.extra_caller_share)
        text = description or rng.choice(DESCRIPTIONS.get(kind, DESCRIPTIONS["other"]))
        for i in range(callers):
            delay_s = 0.0 if i == 0 else min(i * rng.uniform(15, 90), 20 * 60.0)
            where = (lon, lat) if i == 0 else self.places.near(lon, lat, CALLER_SPREAD_M)
            self.call(
                at_s + delay_s,
                kind,
                *where,
                text,
                patients if patients is not None else _patients(rng, kind),
            )
        if kind == "fire" and rng.random() < self.pace.fire_smoke_alarm_share:
            self.sensor(at_s + rng.uniform(-60, 30), "smoke_detector", lon, lat, 1.0, "alarm", 1.0)
        if kind in CAMERA_KINDS and rng.random() < self.pace.camera_report_share:
            camera = self.camera_near(lon, lat, self.pace.camera_reach_m)
            if camera is not None:
                for k in range(rng.randint(2, 6)):
                    self.detection(
                        at_s + 10.0 * k + rng.uniform(0, 5), camera, CAMERA_KINDS[kind], lon, lat
                    )
        self.counts["calls_not_dispatched"] = round(
            self.counts["dispatches"] * self._not_dispatched_per_dispatch
        )
        return lon, lat

    def camera_near(self, lon: float, lat: float, reach_m: float) -> str | None:
        """The id of the nearest camera within ``reach_m`` of a point, if any."""
        if not self.city.cameras:
            return None
        tree, _, _ = self.city.camera_index
        x, y = self.city.projection.to_metric(np.array([lon]), np.array([lat]))
        dist, idx = tree.query([float(x[0]), float(y[0])])
        return self.city.cameras[int(idx)].id if float(dist) <= reach_m else None

    def call(
        self, at_s: float, kind: str, lon: float, lat: float, text: str, patients: int = 0
    ) -> None:
        """Schedule one 119 call."""
        call_id = self._id("call")
        rng = self._rng
        value: dict[str, Any] = {
            "id": call_id,
            "location": {"lon": round(lon, 6), "lat": round(lat, 6), "accuracy_m": 30},
            "category": kind,
            "description": text,
            "patients": patients,
            "caller": {
                "phone": f"+82-10-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}",
                "language": "ko",
            },
        }
        self.counts["calls"] += 1
        self._schedule.add(at_s, "calls", call_id, value)

    def detection(
        self,
        at_s: float,
        camera_id: str,
        kind: str,
        lon: float,
        lat: float,
        density_ppm2: float | None = None,
        *,
        rng: random.Random | None = None,
    ) -> None:
        """Schedule one CCTV analytics detection."""
        draw = rng or self._rng
        value = {
            "id": self._id("cctv", draw),
            "camera_id": camera_id,
            "kind": kind,
            "confidence": round(draw.uniform(0.6, 0.98), 2),
            "location": {"lon": round(lon, 6), "lat": round(lat, 6)},
            "density_ppm2": density_ppm2,
            "snapshot_url": None,
        }
        self.counts["cctv"] += 1
        self._schedule.add(at_s, "cctv-events", camera_id, value)

    def sensor(
        self,
        at_s: float,
        kind: str,
        lon: float,
        lat: float,
        value: float,
        unit: str,
        threshold: float | None,
        sensor_id: str | None = None,
        *,
        direction_deg: float | None = None,
        rng: random.Random | None = None,
    ) -> None:
        """Schedule one sensor alarm (a reading under its threshold opens nothing)."""
        sid = sensor_id or self._id("SEN", rng)
        record: dict[str, Any] = {
            "id": self._id("sen", rng),
            "sensor_id": sid,
            "kind": kind,
            "value": value,
            "unit": unit,
            "threshold": threshold,
            "location": {"lon": round(lon, 6), "lat": round(lat, 6)},
        }
        if direction_deg is not None:
            record["direction_deg"] = direction_deg
        self.counts["sensor"] += 1
        self._schedule.add(max(0.0, at_s), "sensor-alarms", sid, record)


def _poisson(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def _patients(rng: random.Random, kind: str) -> int:
    if kind in ("medical", "cardiac_arrest"):
        return 1
    if kind == "traffic":
        return rng.choice([0, 1, 1, 2, 3])
    return rng.choice([0, 0, 0, 1])
