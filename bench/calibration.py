"""Calibration: the travel-time model next to Seoul's published response times.

    python -m bench.calibration [--quick] [--seed N] [--fires PATH]

Plays simulated days of Seoul's dispatches (the demo's demand model: scenarios/seoul_day.toml
through ``scenarios.pace``, places from ``scenarios.places``) with closest-idle dispatch
(each unit the run card asks for: the idle unit of that kind with the smallest ETA; units
stay busy on scene, transporting and driving home). Probe fires at random moments of those
days measure the first engine's response against the units idle then, without occupying
them. The calibrated model (geo.travel) and the reference model (geo.speeds: 0.8 x the
legal limit, 60 s call processing and 60 s turnout) are measured on the same draws.
Prints one JSON object.

Published anchors:
- 서울연구원, 「서울시 화재사고 현장대응성 강화 위한 소방력 운용 개선방안」 (2017),
  28,032 fires of 2010–2014: mean 출동시간 (station → scene) 3 min 25 s; by gu 종로 2:40,
  동대문 2:51, 마포 2:52, 송파 3:02, 양천 3:03, 용산 3:42, 강남 3:44, 강서 3:50,
  광진 3:51, 서초 4:01; 97.3 % on scene within 5 min.
- 소방청, reported 2021-09-22: 93.4 % of Seoul's fires in 2021 (to July) reached within
  7 min of the call.
- 소방청, reported 2020-09-30: Seoul's mean call → arrival, first half of 2020, 4 min 59 s.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from scipy.spatial import cKDTree

import dispatch as dp
from geo import City, load_city
from geo.travel import TravelModel, TravelTimes
from scenarios.pace import DayPace, load_pace
from scenarios.places import IncidentPlaces
from stack.settings import DEFAULT_SEOUL_DATA, SEOUL_PACK

FIRES_2021 = DEFAULT_SEOUL_DATA / "seoul_fires_2021_response_over_7min.csv"

STATION_TO_SCENE_MEAN_S = 3 * 60 + 25  # 서울연구원 2017
STATION_TO_SCENE_BY_GU_S = {  # 서울연구원 2017, by gu
    "종로구": 160,
    "동대문구": 171,
    "마포구": 172,
    "송파구": 182,
    "양천구": 183,
    "용산구": 222,
    "강남구": 224,
    "강서구": 230,
    "광진구": 231,
    "서초구": 241,
}
WITHIN_5MIN_SHARE = 0.973  # 서울연구원 2017: on scene within 5 min of leaving
FIRES_WITHIN_7MIN_SHARE = 0.934  # 소방청 2021-09-22
CALL_TO_ARRIVAL_MEAN_S = 4 * 60 + 59  # 소방청 2020-09-30
GOLDEN_TIME_S = 420.0
PRIORITY = 3  # run cards of a middling call: the ordinary day's mix of units
REFERENCE_PROCESSING_S = 60.0  # the reference model's call processing and turnout
REFERENCE_TURNOUT_S = 60.0


@dataclass
class Model:
    """One travel model as the simulation needs it: per hour, times from station nodes."""

    name: str
    times: dict[int, np.ndarray]  # hour -> [anchor row, node] seconds
    processing_s: float
    turnout: dict[str, float]
    last_stretch: bool
    travel: TravelModel | None


def reference_model(city: City) -> Model:
    """The reference speed model (the city's own station table, any hour)."""
    table = city.station_table
    assert table is not None
    rows = np.stack([table.times_from(int(n)) for n in city.station_nodes])
    kinds = {u.kind for s in city.stations for u in s.units}
    return Model(
        "reference",
        {h: rows for h in range(24)},
        REFERENCE_PROCESSING_S,
        {k: REFERENCE_TURNOUT_S for k in kinds},
        False,
        None,
    )


def calibrated_model(city: City, travel: TravelModel) -> Model:
    """The calibrated model: one station table per hour band."""
    tt = TravelTimes.for_city(city, travel)
    by_band = {}
    for band in travel.bands:
        table = tt.tables[band.name]
        assert table is not None
        by_band[band.name] = np.stack([table.times_from(int(n)) for n in city.station_nodes])
    kinds = {u.kind for s in city.stations for u in s.units}
    return Model(
        "calibrated",
        {h: by_band[travel.band_at(h).name] for h in range(24)},
        travel.call_processing_s,
        {k: travel.turnout_for(k) for k in kinds},
        True,
        travel,
    )


@dataclass(frozen=True)
class Call:
    """A dispatch of the simulated day: time (s), place, road node, snap distance, card."""

    t: float
    lon: float
    lat: float
    node: int
    snap_m: float
    card: dp.RunCard
    seed: int


def draw_days(city: City, pace: DayPace, days: int, rng: random.Random) -> list[Call]:
    """Dispatches of `days` days at the pace's volume, curve and mix."""
    places = IncidentPlaces(city, rng)
    book = dp.load_run_cards()
    cats = list(pace.per_day)
    weights = [pace.per_day[c] for c in cats]
    out: list[Call] = []
    nprng = np.random.default_rng(rng.getrandbits(32))
    for d in range(days):
        for h in range(24):
            n = int(nprng.poisson(pace.per_s(h) * 3600.0))
            for t in sorted(rng.uniform(0, 3600) for _ in range(n)):
                lon, lat = places.draw()
                snap = city.roads.snap(lon, lat)
                cat = rng.choices(cats, weights)[0]
                out.append(
                    Call(
                        d * 86400.0 + h * 3600 + t,
                        lon,
                        lat,
                        snap.node,
                        snap.distance_m,
                        book.card_for(cat, PRIORITY),
                        rng.getrandbits(31),
                    )
                )
    return out


def fire_snap_m(city: City, path: Path) -> list[float]:
    """How far Seoul's fires of the 2021 table lie from the nearest node of the road graph.

    The node-link graph holds arterials only; a building on fire lies a last stretch away
    from it (median about 140 m in that table, whose fires were late: if anything farther
    than most).
    """
    with path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    lon = np.array([float(r["lon"]) for r in rows])
    lat = np.array([float(r["lat"]) for r in rows])
    return [float(d) for d in city.roads.snap_many(lon, lat)[1]]


def draw_probes(
    city: City, days: int, n: int, rng: random.Random, snap_m: list[float] | None
) -> list[Call]:
    """Probe fires at uniform moments of the days (the fire service's first engine), each
    a last stretch from its node drawn from Seoul's fires (else the place's own snap)."""
    places = IncidentPlaces(city, rng)
    card = dp.load_run_cards().card_for("fire", PRIORITY)
    out = []
    for _ in range(n):
        lon, lat = places.draw()
        snap = city.roads.snap(lon, lat)
        last_m = rng.choice(snap_m) if snap_m else snap.distance_m
        out.append(Call(rng.uniform(0, days * 86400.0), lon, lat, snap.node, last_m, card, 0))
    return sorted(out, key=lambda c: c.t)


class Day:
    """Closest-idle dispatch over the simulated days under one model."""

    def __init__(self, city: City, model: Model, pace: DayPace) -> None:
        self.city, self.model, self.pace = city, model, pace
        units = [(u.unit_id, u.kind, i) for i, s in enumerate(city.stations) for u in s.units]
        self.kind = np.array([u[1] for u in units])
        self.home = np.array([u[2] for u in units])
        self.turnout = np.array([model.turnout[k] for k in self.kind])
        self.busy_until = np.zeros(len(units))
        self.busy_s = 0.0
        ers = [f for f in city.facilities if f.kind == "emergency_room"]
        ex, ey = city.projection.to_metric([f.lon for f in ers], [f.lat for f in ers])
        self.er_tree = cKDTree(np.column_stack([ex, ey]))

    def travel(self, call: Call) -> np.ndarray:
        """Per unit: seconds from its station to the scene (last stretch included)."""
        hour = int(call.t // 3600) % 24
        tt = self.model.times[hour][self.home, call.node]
        if self.model.last_stretch and self.model.travel is not None:
            tt = tt + self.model.travel.last_stretch_s(call.snap_m)
        return np.asarray(tt)

    def first_engine(self, call: Call) -> tuple[float, float]:
        """(station → scene s, call → arrival s) of the closest idle engine."""
        tt = self.travel(call)
        eta = tt + self.turnout
        idle = (self.busy_until <= call.t) & (self.kind == "engine")
        if not idle.any():
            return math.inf, math.inf
        u = int(np.flatnonzero(idle)[np.argmin(eta[idle])])
        return float(tt[u]), self.model.processing_s + float(eta[u])

    def dispatch(self, call: Call) -> None:
        """Send the card's units (closest idle of each kind) and keep them busy."""
        tt = self.travel(call)
        eta = tt + self.turnout
        rng = random.Random(call.seed)
        crews = self.pace.crews
        for kind, count in call.card.units:
            idx = np.flatnonzero((self.busy_until <= call.t) & (self.kind == kind))
            for u in idx[np.argsort(eta[idx])][:count].tolist():
                lo, hi = crews.on_scene_s.get(kind, (1200.0, 3600.0))
                busy = self.model.processing_s + eta[u] + rng.uniform(lo, hi) + tt[u]
                if kind == "ambulance" and rng.random() < crews.transport_share:
                    x, y = self.city.projection.point_to_metric(call.lon, call.lat)
                    er_m = float(self.er_tree.query((x, y))[0]) * 1.4  # street detour
                    busy += 2 * er_m / (crews.transport_speed_kph / 3.6)
                    busy += rng.uniform(*crews.handover_s)
                self.busy_until[u] = call.t + busy
                self.busy_s += busy


def late_2021(city: City, model: Model, path: Path) -> dict[str, Any]:
    """The 2021 fires whose first unit arrived after 7 min: share the model predicts late."""
    with path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    engines = np.array(
        [i for i, s in enumerate(city.stations) for u in s.units if u.kind == "engine"]
    )
    turnout = model.turnout.get("engine", 60.0)
    predicted = []
    for row in rows:
        lon, lat = float(row["lon"]), float(row["lat"])
        hour = datetime.fromisoformat(row["화재발생일시"]).hour  # local time
        snap = city.roads.snap(lon, lat)
        tt = model.times[hour][engines, snap.node]
        last = (
            model.travel.last_stretch_s(snap.distance_m)
            if model.last_stretch and model.travel is not None
            else 0.0
        )
        predicted.append(model.processing_s + turnout + float(tt.min()) + last)
    p = np.array(predicted)
    actual = np.array([float(r["출동소요시간"]) for r in rows])
    return {
        "fires": len(rows),
        "predicted_late_share": round(float(np.mean(p > GOLDEN_TIME_S)), 4),
        "predicted_median_s": round(float(np.median(p)), 1),
        "actual_median_s": round(float(np.median(actual)), 1),
    }


def measure(
    city: City,
    model: Model,
    pace: DayPace,
    calls: list[Call],
    probes: list[Call],
    days: int,
    fires_path: Path | None,
) -> dict[str, Any]:
    """All calibration figures of one model."""
    day = Day(city, model, pace)
    events = sorted(
        [(c.t, 0, i) for i, c in enumerate(calls)] + [(p.t, 1, i) for i, p in enumerate(probes)]
    )
    scene: list[float] = []
    arrival: list[float] = []
    gu_of = city.district_codes_at(
        np.array([p.lon for p in probes]), np.array([p.lat for p in probes])
    )
    names = {d.code: d.name for d in city.districts}
    by_gu: dict[str, list[float]] = {}
    for _, is_probe, i in events:
        if not is_probe:
            day.dispatch(calls[i])
            continue
        s, a = day.first_engine(probes[i])
        scene.append(s)
        arrival.append(a)
        gu = names.get(gu_of[i] or "", "")
        by_gu.setdefault(gu, []).append(s)
    sc, ar = np.array(scene), np.array(arrival)
    gu_mean = {g: round(float(np.mean(v)), 1) for g, v in sorted(by_gu.items()) if g}
    within = {
        g: abs(gu_mean[g] - ref) <= 0.25 * ref
        for g, ref in STATION_TO_SCENE_BY_GU_S.items()
        if g in gu_mean
    }
    out: dict[str, Any] = {
        "station_to_scene_mean_s": round(float(np.mean(sc)), 1),
        "station_to_scene_mean_error": round(float(np.mean(sc)) / STATION_TO_SCENE_MEAN_S - 1, 4),
        "station_to_scene_by_gu_s": gu_mean,
        "named_gu_s": {g: gu_mean.get(g) for g in STATION_TO_SCENE_BY_GU_S},
        "named_gu_within_25pct": int(sum(within.values())),
        "named_gu_outside_25pct": sorted(g for g, ok in within.items() if not ok),
        "gu_rank_correlation": _spearman(
            [gu_mean[g] for g in STATION_TO_SCENE_BY_GU_S if g in gu_mean],
            [v for g, v in STATION_TO_SCENE_BY_GU_S.items() if g in gu_mean],
        ),
        "on_scene_within_5min_share": round(float(np.mean(sc <= 300)), 4),
        "fires_within_7min_share": round(float(np.mean(ar <= GOLDEN_TIME_S)), 4),
        "call_to_arrival_mean_s": round(float(np.mean(ar)), 1),
        "unit_busy_share": round(day.busy_s / (len(day.kind) * days * 86400.0), 4),
    }
    if fires_path is not None:
        out["fires_2021_over_7min"] = late_2021(city, model, fires_path)
    return out


def _spearman(a: list[float], b: list[float]) -> float | None:
    if len(a) < 3:
        return None
    ra, rb = np.argsort(np.argsort(a)), np.argsort(np.argsort(b))
    return round(float(np.corrcoef(ra, rb)[0, 1]), 3)


def verdict(m: dict[str, Any]) -> dict[str, bool]:
    """The calibration targets, met or not."""
    return {
        "station_to_scene_within_15pct": abs(m["station_to_scene_mean_error"]) <= 0.15,
        "named_gu_8_of_10": m["named_gu_within_25pct"] >= 8,
        "within_7min_4_points": abs(m["fires_within_7min_share"] - FIRES_WITHIN_7MIN_SHARE) <= 0.04,
    }


def main(argv: list[str] | None = None) -> int:
    """Entry point: draw the days and probes, measure both models, print one JSON object."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="one day and 2,000 probe fires")
    ap.add_argument("--data-dir", type=Path, default=SEOUL_PACK)
    ap.add_argument("--fires", type=Path, default=FIRES_2021)
    ap.add_argument("--seed", type=int, default=20261206)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    city = load_city(args.data_dir)
    pace = load_pace()
    days, n_probes = (1, 2000) if args.quick else (3, 10000)
    rng = random.Random(args.seed)
    calls = draw_days(city, pace, days, rng)
    fires = args.fires if args.fires.is_file() else None
    snap_m = fire_snap_m(city, fires) if fires is not None else None
    probes = draw_probes(city, days, n_probes, rng, snap_m)
    travel = TravelModel()
    calibrated = measure(city, calibrated_model(city, travel), pace, calls, probes, days, fires)
    reference = measure(city, reference_model(city), pace, calls, probes, days, fires)
    out = {
        **calibrated,
        "targets_met": verdict(calibrated),
        "published": {
            "station_to_scene_mean_s": STATION_TO_SCENE_MEAN_S,
            "station_to_scene_by_gu_s": STATION_TO_SCENE_BY_GU_S,
            "on_scene_within_5min_share": WITHIN_5MIN_SHARE,
            "fires_within_7min_share": FIRES_WITHIN_7MIN_SHARE,
            "call_to_arrival_mean_s": CALL_TO_ARRIVAL_MEAN_S,
        },
        "reference_model": reference,
        "model": {
            "advantage": travel.advantage,
            "junction_delay_s": travel.junction_delay_s,
            "bands": {b.name: round(b.factor, 3) for b in travel.bands},
            "call_processing_s": travel.call_processing_s,
        },
        "dispatches": len(calls),
        "dispatches_per_day": round(len(calls) / days, 1),
        "probe_fires": len(probes),
        "probe_last_stretch_from": str(fires) if fires is not None else "place snap",
        "days": days,
        "seed": args.seed,
        "quick": args.quick,
        "wall_s": round(time.perf_counter() - t0, 1),
    }
    json.dump(out, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
