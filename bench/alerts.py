"""Benchmark: target 1,000,000 registered device locations over Seoul against an alert area.

    python -m bench.alerts [--quick] [--data-dir DIR]

Prints ONE JSON object. `targeting_s` is the best of 3 runs of alerts.devices_in_area
(bbox prefilter + shapely.intersects_xy on a prepared polygon) over all devices.
`loop_ratio` compares, in the same run, the classic per-point loop
(`prep(area).intersects(Point(x, y))` for each device) timed on a random sample of devices and
scaled linearly to the full count (time_sample * devices / sample), divided by `targeting_s`.
The two methods must agree on the sample or the run fails.

`evidence_to_draft_p50_ms` / `_p99_ms` go through the real embedded broker and a worker
process, over the genuine public hazards in turn (a measured gas leak, a measured chemical
release, a water-level alarm, a crowd crush, a large fire): the clock starts before the
scenario's evidence is produced and stops when a draft at the policy's tier covers its place.

`drafts_per_simulated_day` (bench.alert_budget): one simulated Seoul day (the normal day of
scenarios/seoul_day.toml, or ``--day city-traffic``) through the same worker before the
hazards: the drafts it makes, by rule and tier, and the share a reviewer judges justified.
`draft_alert_p50_ms` / `_p99_ms` are the in-process decision only (policy + area + messages +
dedup), no broker.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import Point, Polygon, shape
from shapely.prepared import prep

from alerts import KST, AlertContext, DistrictShape, devices_in_area, draft_alert, load_policy
from alerts.metric import to_metric, to_wgs84
from stack.settings import DEFAULT_SEOUL_DATA

SEOUL_BBOX = (126.764, 37.413, 127.184, 37.715)
CITY_HALL = (126.9780, 37.5665)


def load_districts(data_dir: Path | None) -> list[DistrictShape]:
    """Seoul gu + dong polygons when the data directory has them, else none."""
    if data_dir is None:
        return []
    out: list[DistrictShape] = []
    for name, code, label, level in (
        ("seoul_gu_boundaries.geojson", "gu_code", "gu_name", "gu"),
        (
            "seoul_admin_dong_boundaries_2013_simplified.geojson",
            "adm_dong_code_kostat",
            "dong_name",
            "dong",
        ),
    ):
        path = data_dir / name
        if path.exists():
            for f in json.loads(path.read_text(encoding="utf-8"))["features"]:
                p = f["properties"]
                out.append(DistrictShape(p[code], p[label], level, shape(f["geometry"])))
    return out


def device_locations(n: int, city: Any | None, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """n device positions uniform over the city polygon (or Seoul's bbox without data)."""
    rng = np.random.default_rng(seed)
    west, south, east, north = city.bounds if city is not None else SEOUL_BBOX
    lon_parts: list[np.ndarray] = []
    lat_parts: list[np.ndarray] = []
    have = 0
    while have < n:
        lon = rng.uniform(west, east, n)
        lat = rng.uniform(south, north, n)
        if city is not None:
            keep = shapely.contains_xy(city, lon, lat)
            lon, lat = lon[keep], lat[keep]
        lon_parts.append(lon)
        lat_parts.append(lat)
        have += lon.size
    return np.concatenate(lon_parts)[:n], np.concatenate(lat_parts)[:n]


def plume(lon: float, lat: float, towards_deg: float, length_m: float, half_deg: float) -> Any:
    """A downwind plume sector plus a 300 m source circle (WGS84)."""
    o = to_metric(Point(lon, lat))
    pts = [(o.x, o.y)]
    for k in range(-12, 13):
        b = math.radians(towards_deg + half_deg * k / 12)
        pts.append((o.x + length_m * math.sin(b), o.y + length_m * math.cos(b)))
    return to_wgs84(shapely.union_all([Polygon(pts), o.buffer(300)]))


def time_ours(area: Any, lon: np.ndarray, lat: np.ndarray, repeats: int = 3) -> tuple[float, int]:
    """Best wall time of devices_in_area on a fresh (unprepared) copy of the area."""
    best = math.inf
    hits = 0
    wkb = shapely.to_wkb(area)
    for _ in range(repeats):
        fresh = shapely.from_wkb(wkb)
        t0 = time.perf_counter()
        mask = devices_in_area(fresh, lon, lat)
        best = min(best, time.perf_counter() - t0)
        hits = int(mask.sum())
    return best, hits


def time_loop(area: Any, lon: np.ndarray, lat: np.ndarray) -> tuple[float, np.ndarray]:
    """Wall time of the per-point prepared-geometry loop over the given devices."""
    t0 = time.perf_counter()
    p = prep(area)
    out = np.fromiter(
        (p.intersects(Point(x, y)) for x, y in zip(lon, lat, strict=True)),
        dtype=bool,
        count=lon.size,
    )
    return time.perf_counter() - t0, out


def measure_on_worker(
    data_dir: Path | None, count: int, day: str | None, seed: int = 7
) -> dict[str, Any]:
    """One worker: a simulated day's alert budget (unless ``day`` is None), then the
    evidence-to-draft latency of the genuine public hazards."""
    import asyncio

    from bench.alert_budget import measure_day
    from bench.stackrun import BenchStack
    from geo import load_city

    out: dict[str, Any] = {}
    with BenchStack(data_dir) as stack:
        if day is not None:
            out.update(measure_day(stack, load_city(data_dir), day, seed))
        out.update(asyncio.run(_evidence_to_draft(stack, count)))
    return out


HAZARDS = ("gas", "chemical", "flood", "crowd", "fire")
"""The genuine public hazards timed, in turn, and the tier each must draft at."""
HAZARD_TIER = {
    "gas": "emergency",
    "chemical": "emergency",
    "flood": "emergency",
    "crowd": "critical",
    "fire": "emergency",
}


def hazard_evidence(kind: str, n: int, lon: float, lat: float) -> list[tuple[str, str, Any]]:
    """(topic, key, value) of one genuine public hazard at (lon, lat)."""
    now = datetime.now(KST)

    def at(s: float) -> str:
        return (now + timedelta(seconds=s)).isoformat()

    def sensor(kind: str, value: float, unit: str) -> tuple[str, str, Any]:
        sid = f"{kind}-bench-{n}"
        body = {
            "id": sid,
            "measured_at": at(0),
            "sensor_id": f"S-{sid}",
            "kind": kind,
            "value": value,
            "unit": unit,
            "threshold": value / 4,
            "location": {"lon": lon, "lat": lat},
        }
        return ("sensor_alarms", f"S-{sid}", body)

    def calls(category: str, k: int, patients: int = 0) -> list[tuple[str, str, Any]]:
        return [
            (
                "calls",
                f"{category}-bench-{n}-{i}",
                {
                    "id": f"{category}-bench-{n}-{i}",
                    "received_at": at(i),
                    "location": {"lon": lon + (i % 5) * 2e-5, "lat": lat + (i // 5) * 2e-5},
                    "category": category,
                    "patients": patients,
                },
            )
            for i in range(k)
        ]

    if kind == "gas":
        return [sensor("gas", 40.0, "%LEL")]
    if kind == "chemical":
        return [sensor("tunnel_co", 400.0, "ppm")]
    if kind == "flood":
        return [sensor("water_level", 1.6, "m")]
    if kind == "crowd":
        return calls("crowd", 5, patients=1)
    return calls("fire", 20)


async def _evidence_to_draft(stack: Any, count: int) -> dict[str, Any]:
    import orjson
    import shapely
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

    consumer = AIOKafkaConsumer(
        stack.topics.alerts,
        bootstrap_servers=stack.settings.kafka_bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=20,
    )
    producer = AIOKafkaProducer(bootstrap_servers=stack.settings.kafka_bootstrap, acks="all")
    await consumer.start()
    await producer.start()
    sent: dict[int, float] = {}
    seen: dict[int, float] = {}
    places: dict[int, tuple[str, Any]] = {}
    began = datetime.now(KST) - timedelta(seconds=1)  # alerts drafted before are not ours
    try:
        for i in range(count):
            lon = 126.90 + 0.045 * (i % 5)  # ≈ 4 km apart: no two share an alert
            lat = 37.50 + 0.036 * ((i // 5) % 5)
            kind = HAZARDS[i % len(HAZARDS)]
            places[i] = (kind, shapely.Point(lon, lat))
            sent[i] = time.perf_counter()  # before the first evidence: an upper bound
            for topic, key, value in hazard_evidence(kind, i, lon, lat):
                name = getattr(stack.topics, topic)
                await producer.send(name, orjson.dumps(value), key=key.encode())
            await producer.flush()
            deadline = time.perf_counter() + 10
            while i not in seen and time.perf_counter() < deadline:
                for records in (await consumer.getmany(timeout_ms=50)).values():
                    for record in records:
                        alert = orjson.loads(record.value)
                        if datetime.fromisoformat(alert["issued_at"]) < began:
                            continue
                        area = shapely.geometry.shape(alert["area"])
                        for j, (want, point) in places.items():
                            if alert["tier"] == HAZARD_TIER[want] and area.contains(point):
                                seen.setdefault(j, time.perf_counter())
    finally:
        await producer.stop()
        await consumer.stop()
    latencies = sorted((seen[k] - sent[k]) * 1000 for k in sent if k in seen)
    if not latencies:
        raise RuntimeError("no draft alert arrived: do the hazards still qualify in policy?")
    missing = sorted({places[k][0] for k in sent if k not in seen})
    return {
        "evidence_to_draft_p50_ms": round(statistics.median(latencies), 1),
        "evidence_to_draft_p99_ms": round(
            latencies[min(len(latencies) - 1, math.ceil(0.99 * len(latencies)) - 1)], 1
        ),
        "evidence_to_draft_samples": len(latencies),
        "evidence_to_draft_missing": len(sent) - len(latencies),
        "evidence_to_draft_missing_hazards": missing,
        "evidence_to_draft_hazards": list(HAZARDS),
    }


def draft_latency_ms(districts: Sequence[DistrictShape], runs: int) -> tuple[float, float]:
    """p50/p99 of draft_alert in-process (policy, area, messages, dedup against one alert)."""
    policy = load_policy()
    now = datetime(2026, 11, 21, 13, 5, tzinfo=KST)
    zone = plume(*CITY_HALL, 45.0, 1500.0, 20.0)
    first = draft_alert(
        AlertContext("bench-0", "gas_leak", 2, *CITY_HALL, now, hazard_zone=zone, sensors=1),
        districts,
        now=now,
        policy=policy,
    ).alert
    existing = [first] if first is not None else []
    samples: list[float] = []
    for i in range(runs):
        at = now + timedelta(seconds=i)
        ctx = AlertContext(
            f"bench-{i + 1}",
            "gas_leak",
            2,
            CITY_HALL[0] + 0.0005 * (i % 7),
            CITY_HALL[1],
            at,
            hazard_zone=zone,
            sensors=1,  # measured: the policy drafts for it
        )
        t0 = time.perf_counter()
        draft_alert(ctx, districts, now=at, existing=existing, policy=policy)
        samples.append((time.perf_counter() - t0) * 1000)
    qs = statistics.quantiles(samples, n=100, method="inclusive")
    return statistics.median(samples), qs[98]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print one JSON object."""
    parser = argparse.ArgumentParser(prog="python -m bench.alerts")
    parser.add_argument("--quick", action="store_true", help="fewer loop samples and drafts")
    parser.add_argument("--devices", type=int, default=1_000_000)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_SEOUL_DATA)
    parser.add_argument(
        "--day",
        choices=["normal", "city-traffic", "none"],
        default="normal",
        help="the simulated day whose alert budget is measured (none: skip it)",
    )
    args = parser.parse_args(argv)
    sample_n = 5_000 if args.quick else 50_000
    data_dir = args.data_dir if args.data_dir.exists() else None
    districts = load_districts(data_dir)
    gu = [d for d in districts if d.level == "gu"]
    city = shapely.union_all([d.geometry for d in gu]) if gu else None
    lon, lat = device_locations(args.devices, city)

    policy = load_policy()
    now = datetime(2026, 11, 21, 13, 5, tzinfo=KST)
    zone = plume(*CITY_HALL, 60.0, 3000.0, 25.0)
    ctx = AlertContext("bench", "hazmat", 1, *CITY_HALL, now, hazard_zone=zone, sensors=1)
    outcome = draft_alert(ctx, districts, now=now, policy=policy)
    assert outcome.alert is not None
    area = outcome.alert.area
    targeting_s, hits = time_ours(area, lon, lat)
    t0 = time.perf_counter()
    shapely.prepare(area)
    no_bbox_hits = int(shapely.intersects_xy(area, lon, lat).sum())
    no_bbox_s = time.perf_counter() - t0
    assert no_bbox_hits == hits

    rng = np.random.default_rng(11)
    idx = rng.choice(lon.size, size=min(sample_n, lon.size), replace=False)
    loop_s, loop_mask = time_loop(area, lon[idx], lat[idx])
    if not np.array_equal(loop_mask, devices_in_area(area, lon[idx], lat[idx])):
        raise SystemExit("per-point loop and vectorised targeting disagree")
    loop_scaled_s = loop_s * lon.size / idx.size

    result: dict[str, Any] = {
        "devices": int(lon.size),
        "targeting_s": round(targeting_s, 4),
        "loop_ratio": round(loop_scaled_s / targeting_s, 1),
        "loop_scaled_s": round(loop_scaled_s, 3),
        "loop_sample": int(idx.size),
        "vectorised_without_bbox_prefilter_s": round(no_bbox_s, 4),
        "devices_targeted": hits,
        "area_vertices": len(area.exterior.coords),
        "area_km2": round(float(to_metric(area).area) / 1e6, 3),
        "districts_targeted": [d.name for d in outcome.alert.districts],
        "overshoot_ratio": round(outcome.alert.overshoot_ratio, 3),
    }
    if gu:  # district-level targeting: the union of the gu the alert touches (many vertices)
        codes = {d.code for d in outcome.alert.districts if d.level == "gu"}
        union = shapely.union_all([d.geometry for d in gu if d.code in codes])
        union_s, union_hits = time_ours(union, lon, lat)
        result["district_union_targeting_s"] = round(union_s, 4)
        result["district_union_devices"] = union_hits
        result["district_union_vertices"] = int(shapely.get_num_coordinates(union))
    p50, p99 = draft_latency_ms(districts, 50 if args.quick else 300)
    result["draft_alert_p50_ms"] = round(p50, 2)
    result["draft_alert_p99_ms"] = round(p99, 2)
    day = None if args.day == "none" else args.day
    result.update(measure_on_worker(data_dir, 10 if args.quick else 25, day))
    result["notes"] = (
        "loop scaled linearly from loop_sample devices; evidence_to_draft: gas, chemical, "
        "flood, crowd-crush and large-fire evidence produced to the real embedded broker, "
        "worker process, draft at its tier seen on `alerts`; drafts_per_simulated_day: "
        "one simulated day's evidence through the same worker first; "
        f"shared {os.cpu_count()}-core machine, figures noisy"
    )
    result["seoul_data"] = data_dir is not None
    json.dump(result, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
