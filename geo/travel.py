"""Calibrated emergency travel times: congestion by hour band and road class, the emergency
vehicle's advantage over traffic, junction delay, the last stretch to the door, call
processing and turnout by unit kind, and the spread of an ETA.

The reference model (``geo.speeds.SpeedModel``: 0.8 x the legal limit at any hour) stays
the default of every city; this one is selected beside it. Time-dependent factors apply per
hour band, each band with its own road graph and station table, so one-to-many queries stay
exact table lookups (``TravelTimes.for_city``).

Published figures (each constant below names its source):
- 서울특별시, 「2015년 차량통행속도」 (press release 2016-03-31; reported by 뉴스1
  https://www.news1.kr/amp/society/general-society/2619297): yearly mean traffic speed on
  도시고속도로 56.6 km/h, 주간선도로 25.0 km/h, 보조간선도로 23.2 km/h, all roads 25.2 km/h.
- 서울특별시, 「2025년 서울시 교통량·통행속도」 (2026-03-12; reported by 경향신문
  https://www.khan.co.kr/article/202603120600051 and 세계일보
  https://www.segye.com/newsView/20260312520858): weekday mean 21.7 km/h, morning peak
  07–09 h 22.5 km/h, evening peak 18–20 h 19.8 km/h.
- NFPA 1710 (2020), 4.1.2.1: alarm processing within 64 s, turnout within 60 s for EMS
  and 80 s for fire and special operations (90th-percentile limits, not means).
Everything else is marked ASSUMPTION with its reasoning; the emergency advantage is the one
figure fitted to the response times of Seoul's fire service (see bench.calibration).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from types import MappingProxyType

import numpy as np
from numpy.typing import ArrayLike, NDArray

from geo.city import City
from geo.roads import RoadGraph
from geo.speeds import SpeedModel
from geo.time_table import TimeTable

__all__ = [
    "SEOUL_BANDS",
    "SEOUL_CLASS_KPH",
    "TURNOUT_S",
    "HourBand",
    "TravelModel",
    "TravelTimes",
]

KST = timezone(timedelta(hours=9))


@dataclass(frozen=True)
class HourBand:
    """Hours [start_h, end_h) of the local day (wrapping past midnight) and the factor by
    which traffic there runs faster (>1) or slower (<1) than the weekday mean."""

    name: str
    start_h: int
    end_h: int
    factor: float

    def holds(self, hour: int) -> bool:
        """Whether an hour of the day (0..23) falls in this band."""
        h = hour % 24
        if self.start_h <= self.end_h:
            return self.start_h <= h < self.end_h
        return h >= self.start_h or h < self.end_h


WEEKDAY_MEAN_KPH = 21.7  # 2025 weekday mean, all roads (서울시 2026-03-12)
SEOUL_BANDS: tuple[HourBand, ...] = (
    # ASSUMPTION: no published night speed found; 22–07 h runs 30 % above the weekday mean
    # (little traffic, signals still apply).
    HourBand("night", 22, 7, 1.30),
    HourBand("am_peak", 7, 9, 22.5 / WEEKDAY_MEAN_KPH),  # 2025: 07–09 h 22.5 km/h
    # ASSUMPTION: the working day runs at the weekday mean.
    HourBand("day", 9, 18, 1.0),
    HourBand("pm_peak", 18, 20, 19.8 / WEEKDAY_MEAN_KPH),  # 2025: 18–20 h 19.8 km/h
    # ASSUMPTION: the evening after the peak runs between the mean and the night.
    HourBand("evening", 20, 22, 1.15),
)

# Yearly mean traffic speed by road class (서울시 「2015년 차량통행속도」).
SEOUL_CLASS_KPH: Mapping[str, float] = MappingProxyType(
    {
        "expressway": 56.6,  # 도시고속도로
        "arterial": 25.0,  # 주간선도로
        # ASSUMPTION: local streets run like 보조간선도로 (23.2 km/h); no figure for them.
        "local": 23.2,
    }
)
# Road class from the legal limit: 도시고속도로 are signed 70–100 km/h, arterials 50–60,
# streets 30–40 (안전속도 5030).
EXPRESSWAY_MIN_KPH = 70.0
ARTERIAL_MIN_KPH = 50.0

# Fitted (the one free figure): how much faster than traffic an emergency vehicle on call
# drives (sirens, bus lanes, crossing on red), chosen so that closest-idle dispatch
# reproduces Seoul's mean 출동시간 of 3 min 25 s (서울연구원 2017): bench.calibration
# measures 202 s with it.
EMERGENCY_ADVANTAGE = 1.45
# ASSUMPTION: never faster than this share of the legal limit (the reference model's 0.8
# plus the tolerance granted to emergency vehicles, 도로교통법 제30조).
LEGAL_CAP = 1.0
# ASSUMPTION: 2 s lost per link on signalled roads (slowing through a junction on red);
# node-link links run junction to junction, so one delay per link.
JUNCTION_DELAY_S = 2.0
# ASSUMPTION: the last stretch from the network to the door, at street speed along a
# path 1.4 x the straight line (a typical urban detour factor).
STREET_KPH = 15.0
DETOUR_FACTOR = 1.4
# NFPA 1710 (2020) 4.1.2.1: turnout 60 s for EMS, 80 s for fire and special operations.
TURNOUT_S: Mapping[str, float] = MappingProxyType(
    {
        "ambulance": 60.0,
        "engine": 80.0,
        "ladder": 80.0,
        "rescue": 80.0,
        "hazmat": 80.0,
        "command": 80.0,
    }
)
DEFAULT_TURNOUT_S = 80.0
# ASSUMPTION: 40 s from answering the call to the dispatch order, inside NFPA 1710's 64 s
# limit. With an engine's 80 s turnout this is 120 s between call and leaving the station;
# Seoul's published means imply less (call → arrival 4 min 59 s, 소방청 2020 H1, minus
# 출동시간 3 min 25 s, 서울연구원 2017: 94 s), but they come from different years and no
# published Seoul breakdown of call processing and turnout was found. For scale: 충남소방본부
# handled a 119 call in 73 s on average in 2015 (아주경제, 2016-03-02,
# https://m.ajunews.com/view/20160302094039494), dispatching before the call ends.
CALL_PROCESSING_S = 40.0
# ASSUMPTION: an ETA's spread is lognormal around the median with this sigma (traffic
# that a band's mean does not see); p90 = p50 x exp(1.2816 sigma) ≈ 1.38 x p50.
SPREAD_SIGMA = 0.25
Z90 = 1.2815515655446004


def _frozen(m: Mapping[str, float]) -> Mapping[str, float]:
    return MappingProxyType(dict(m))


@dataclass(frozen=True)
class TravelModel:
    """A calibrated emergency travel-time model (Seoul figures by default)."""

    bands: tuple[HourBand, ...] = SEOUL_BANDS
    class_kph: Mapping[str, float] = field(default_factory=lambda: SEOUL_CLASS_KPH)
    advantage: float = EMERGENCY_ADVANTAGE
    legal_cap: float = LEGAL_CAP
    junction_delay_s: float = JUNCTION_DELAY_S
    street_kph: float = STREET_KPH
    detour_factor: float = DETOUR_FACTOR
    call_processing_s: float = CALL_PROCESSING_S
    turnout_s: Mapping[str, float] = field(default_factory=lambda: TURNOUT_S)
    spread_sigma: float = SPREAD_SIGMA

    def __hash__(self) -> int:
        return hash(
            (
                self.bands,
                tuple(sorted(self.class_kph.items())),
                self.advantage,
                self.legal_cap,
                self.junction_delay_s,
                self.street_kph,
                self.detour_factor,
                self.call_processing_s,
                tuple(sorted(self.turnout_s.items())),
                self.spread_sigma,
            )
        )

    def band_at(self, hour: int) -> HourBand:
        """The band an hour of the local day (0..23) falls in.

        >>> TravelModel().band_at(8).name
        'am_peak'
        """
        for band in self.bands:
            if band.holds(hour):
                return band
        raise ValueError(f"no hour band holds hour {hour}")

    def band_of(self, when: datetime) -> HourBand:
        """The band of a moment, by Seoul's local hour."""
        return self.band_at(when.astimezone(KST).hour)

    def road_class(self, legal_kph: ArrayLike) -> NDArray[np.str_]:
        """Road class of links by their legal limit."""
        legal = np.asarray(legal_kph, float)
        return np.where(
            legal >= EXPRESSWAY_MIN_KPH,
            "expressway",
            np.where(legal >= ARTERIAL_MIN_KPH, "arterial", "local"),
        )

    def link_kph(self, legal_kph: ArrayLike, band: HourBand) -> NDArray[np.float64]:
        """Speed of an emergency vehicle on links of these legal limits in one band."""
        legal = np.asarray(legal_kph, float)
        classes = self.road_class(legal)
        traffic = np.array([self.class_kph[c] for c in classes.tolist()], float).reshape(
            legal.shape
        )
        return np.minimum(legal * self.legal_cap, traffic * band.factor * self.advantage)

    def link_times_s(
        self, length_m: ArrayLike, legal_kph: ArrayLike, band: HourBand
    ) -> NDArray[np.float64]:
        """Seconds per link: length at the band's speed, plus a junction delay off
        expressways (which have none)."""
        legal = np.asarray(legal_kph, float)
        run = np.asarray(length_m, float) / (self.link_kph(legal, band) / 3.6)
        junction = np.where(legal >= EXPRESSWAY_MIN_KPH, 0.0, self.junction_delay_s)
        return np.asarray(run + junction, float)

    def last_stretch_s(self, snap_m: float) -> float:
        """Seconds from the nearest road node to the incident itself, at street speed.

        >>> round(TravelModel().last_stretch_s(100.0), 1)
        33.6
        """
        return max(0.0, snap_m) * self.detour_factor / (self.street_kph / 3.6)

    def turnout_for(self, kind: str) -> float:
        """Seconds for a crew of this kind to leave its station."""
        return float(self.turnout_s.get(kind, DEFAULT_TURNOUT_S))

    def spread(self, eta_s: float) -> tuple[float, float]:
        """(p50, p90) of an ETA whose median is eta_s.

        >>> [round(x) for x in TravelModel().spread(200.0)]
        [200, 276]
        """
        if not math.isfinite(eta_s):
            return eta_s, eta_s
        return eta_s, eta_s * math.exp(Z90 * self.spread_sigma)


def legal_kph_of(roads: RoadGraph, reference: SpeedModel) -> NDArray[np.float64]:
    """Per edge, the legal limit the reference model drove at its emergency factor."""
    _, _, time_s, length_m = roads.edge_arrays()
    return np.asarray(length_m / time_s * 3.6 / reference.emergency_factor, float)


class TravelTimes:
    """One road graph and one station table per hour band of a travel model."""

    def __init__(
        self,
        roads: RoadGraph,
        station_nodes: ArrayLike,
        model: TravelModel,
        reference: SpeedModel | None = None,
    ) -> None:
        self.model = model
        self.base = roads
        _, _, _, length_m = roads.edge_arrays()
        legal = legal_kph_of(roads, reference or SpeedModel())
        self.graphs: dict[str, RoadGraph] = {}
        self.tables: dict[str, TimeTable | None] = {}
        anchors = np.unique(np.asarray(station_nodes, np.int64))
        for band in model.bands:
            g = roads.with_edge_times(model.link_times_s(length_m, legal, band))
            self.graphs[band.name] = g
            fits = anchors.size > 0 and TimeTable.fits(g, anchors.size)
            self.tables[band.name] = TimeTable(g, anchors) if fits else None

    @staticmethod
    def for_city(city: City, model: TravelModel | None = None) -> TravelTimes:
        """The (shared) banded graphs and station tables of a city."""
        return _travel_times(city, model or TravelModel())

    def graph(self, when: datetime) -> RoadGraph:
        """The road graph of the band a moment falls in."""
        return self.graphs[self.model.band_of(when).name]

    def table(self, when: datetime) -> TimeTable | None:
        """The station table of the band a moment falls in."""
        return self.tables[self.model.band_of(when).name]


@lru_cache(maxsize=4)
def _travel_times(city: City, model: TravelModel) -> TravelTimes:
    return TravelTimes(city.roads, city.station_nodes, model)
