"""The pace of a normal day: dispatches per day by category and their daily curve.

Read from a TOML data file (``seoul_day.toml``: every figure cited there) into plain values.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["SEOUL_DAY", "CrewTimes", "DayPace", "load_pace"]

SEOUL_DAY = Path(__file__).resolve().parent / "seoul_day.toml"


@dataclass(frozen=True, slots=True)
class CrewTimes:
    """How long crews work, in scenario seconds (ranges are drawn uniformly)."""

    on_scene_s: dict[str, tuple[float, float]]
    transport_share: float
    handover_s: tuple[float, float]
    transport_speed_kph: float


@dataclass(frozen=True, slots=True)
class DayPace:
    """Calls and dispatches of a normal day, the daily curve, evidence and crew times."""

    city: str
    calls_per_day: float
    per_day: dict[str, float]  # contract call category → dispatches a day
    hour_shares: tuple[float, ...]  # 24 shares of the day, summing to 1
    extra_caller_share: float
    fire_callers_mean: float
    fire_smoke_alarm_share: float
    camera_reach_m: float
    camera_report_share: float
    crews: CrewTimes
    weather_stations: int = 0
    weather_every_s: float = 600.0
    camera_intrusions_per_camera_day: float = 0.0

    @property
    def dispatches_per_day(self) -> float:
        """Incidents a day (every category)."""
        return sum(self.per_day.values())

    def per_s(self, hour: int) -> float:
        """Dispatches per second during an hour of the day (0–23)."""
        return self.dispatches_per_day * self.hour_shares[hour % 24] / 3600.0

    def expected(self, start_hour: float, duration_s: float) -> float:
        """Dispatches expected from ``start_hour`` (e.g. 12.5) over ``duration_s`` seconds."""
        total, t = 0.0, start_hour * 3600.0
        end = t + duration_s
        while t < end:
            boundary = min(end, (int(t // 3600) + 1) * 3600.0)
            total += self.per_s(int(t // 3600)) * (boundary - t)
            t = boundary
        return total


def _pair(value: Any) -> tuple[float, float]:
    low, high = value
    return float(low), float(high)


def load_pace(path: Path = SEOUL_DAY) -> DayPace:
    """The day described by a pace file."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    vol, mix, curve = data["volume"], data["mix"], data["curve"]
    days = float(vol["days_in_year"])
    ems = vol["ems_runs_per_year"] / days
    rescue = vol["rescue_dispatches_per_year"] / days
    fire = vol["fires_per_year"] / days
    cardiac = mix["cardiac_arrests_per_year"] / days
    rescue_share = {
        "other": mix["rescue_daily_life"] / mix["rescue_total"],
        "hazmat": mix["rescue_hazmat"],
        "flood": mix["rescue_flood"],
        "collapse": mix["rescue_collapse"],
    }
    rescue_traffic = rescue * mix["rescue_traffic"] / mix["rescue_total"]
    per_day = {
        "medical": ems * (mix["ems_illness"] + mix["ems_fall"] + mix["ems_other"]) - cardiac,
        "cardiac_arrest": cardiac,
        "traffic": ems * mix["ems_traffic"] + rescue_traffic,
        "fire": fire,
        **{k: rescue * v for k, v in rescue_share.items()},
    }
    per_day["rescue"] = rescue - rescue_traffic - sum(rescue * v for v in rescue_share.values())
    band_hours = int(curve["band_hours"])
    bands = [float(x) for x in curve["shares_percent"]]
    if len(bands) * band_hours != 24:
        raise ValueError(f"{path}: the curve's bands do not cover 24 hours")
    total = sum(bands)
    hours = tuple(bands[h // band_hours] / total / band_hours for h in range(24))
    ev, cr, bg = data["evidence"], data["crews"], data.get("background", {})
    crews = CrewTimes(
        on_scene_s={k: (v[0] * 60.0, v[1] * 60.0) for k, v in cr["on_scene_min"].items()},
        transport_share=float(cr["transport_share"]),
        handover_s=(cr["handover_min"][0] * 60.0, cr["handover_min"][1] * 60.0),
        transport_speed_kph=float(cr["transport_speed_kph"]),
    )
    return DayPace(
        city=str(data["city"]),
        calls_per_day=vol["calls_per_year"] / days,
        per_day=per_day,
        hour_shares=hours,
        extra_caller_share=float(ev["extra_caller_share"]),
        fire_callers_mean=float(ev["fire_callers_mean"]),
        fire_smoke_alarm_share=float(ev["fire_smoke_alarm_share"]),
        camera_reach_m=float(ev["camera_reach_m"]),
        camera_report_share=float(ev["camera_report_share"]),
        crews=crews,
        weather_stations=int(bg.get("weather_stations", 0)),
        weather_every_s=float(bg.get("weather_every_min", 10.0)) * 60.0,
        camera_intrusions_per_camera_day=float(bg.get("camera_intrusions_per_camera_day", 0.0)),
    )
