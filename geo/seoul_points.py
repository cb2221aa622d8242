"""Readers of the Seoul point layers: stations, hydrants, cameras, emergency rooms, shelters."""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from geo.model import Camera, Facility, FileReport, Hydrant, Station
from geo.nodelink import _float, _in_bounds
from geo.units import seed_units

__all__ = [
    "read_cameras",
    "read_emergency_devices",
    "read_emergency_rooms",
    "read_shelters",
    "read_songpa_water",
    "read_stations",
]

T = TypeVar("T")
Row = dict[str, str]


class SkipRow(Exception):
    """A row is not used; the message is the reason counted in the report."""


def _lonlat(row: Row) -> tuple[float, float]:
    lon, lat = _float(row.get("lon")), _float(row.get("lat"))
    if lon is None or lat is None:
        raise SkipRow("missing or non-numeric lon/lat")
    if not _in_bounds(lon, lat):
        raise SkipRow("coordinates outside Korea")
    return lon, lat


def _read(path: Path, parse: Callable[[Row, int], T | None]) -> tuple[list[T], FileReport]:
    """Rows of a UTF-8 CSV parsed one by one; SkipRow reasons are counted."""
    items: list[T] = []
    skipped: Counter[str] = Counter()
    rows = 0
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for i, row in enumerate(csv.DictReader(fh)):
            rows += 1
            try:
                item = parse(row, i)
            except SkipRow as why:
                skipped[str(why)] += 1
                continue
            if item is not None:
                items.append(item)
    return items, FileReport(path.name, rows, len(items), tuple(sorted(skipped.items())))


def read_stations(path: Path) -> tuple[list[Station], FileReport]:
    """Fire stations, 119 safety centres and rescue teams, with seeded units."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        names = {r["station_id"]: r["name"] for r in csv.DictReader(fh)}
    seen: set[str] = set()

    def parse(row: Row, _: int) -> Station:
        sid = (row.get("station_id") or "").strip()
        if not sid:
            raise SkipRow("missing station_id")
        if sid in seen:
            raise SkipRow("duplicate station_id")
        lon, lat = _lonlat(row)
        kind = row.get("kind") or "safety_center_119"
        name = row.get("name") or sid
        parent = names.get(row.get("parent_id") or "")
        if name in ("구조대", "119구조대") and parent:  # make '구조대' rows tell which one
            name = f"{parent} {name}"
        seen.add(sid)
        return Station(
            sid, name, lon, lat, row.get("gu_code") or None, seed_units(sid, kind, name), kind
        )

    return _read(path, parse)


def read_emergency_devices(path: Path) -> tuple[list[Hydrant], FileReport]:
    """비상소화장치 (emergency fire-fighting devices), all of Seoul."""

    def parse(row: Row, i: int) -> Hydrant:
        if (row.get("deleted") or "N").strip().upper() == "Y":
            raise SkipRow("marked deleted")
        lon, lat = _lonlat(row)
        ident = (row.get("device_serial") or "").strip() or f"row{i}"
        return Hydrant(f"EFD-{ident}", lon, lat, "emergency_fire_device")

    return _read(path, parse)


_WATER_KIND = {"소화전": "hydrant", "저수조": "water_tank", "급수탑": "water_tower"}


def read_songpa_water(path: Path) -> tuple[list[Hydrant], FileReport]:
    """소방용수시설 of 송파구 (hydrants, tanks, towers); flagged or broken ones are skipped."""

    def parse(row: Row, i: int) -> Hydrant:
        if (row.get("suspect_coord") or "").strip().lower() == "true":
            raise SkipRow("suspect coordinates (suspect_coord)")
        status = (row.get("status") or "").strip()
        if status.startswith("고장") or status == "임시폐전":
            raise SkipRow(f"out of service ({status})")
        lon, lat = _lonlat(row)
        ident = (row.get("serial") or "").strip() or f"row{i}"
        return Hydrant(
            f"SPW-{ident}", lon, lat, _WATER_KIND.get(row.get("water_type") or "", "hydrant")
        )

    return _read(path, parse)


def read_cameras(path: Path) -> tuple[list[Camera], FileReport]:
    """CCTV sites of 강남구 and 금천구 (direction unknown in both sources)."""
    prefix = {"gangnam_national_cctv_standard": "GN", "geumcheon_2016_list": "GC"}

    def parse(row: Row, i: int) -> Camera:
        if (row.get("in_seoul") or "True").strip().lower() == "false":
            raise SkipRow("geocoded outside Seoul (in_seoul=False)")
        lon, lat = _lonlat(row)
        src = prefix.get(row.get("source") or "", "X")
        purpose = (row.get("purpose") or "").replace(" CCTV", "").strip() or "unknown"
        return Camera(
            f"CAM-{src}-{i:05d}",
            lon,
            lat,
            purpose,
            (row.get("manager") or "").strip(),
            None,
            row.get("gu_code") or None,
        )

    return _read(path, parse)


def read_emergency_rooms(path: Path) -> tuple[list[Facility], FileReport]:
    """Operating emergency rooms (E-Gen)."""

    def parse(row: Row, i: int) -> Facility:
        if (row.get("er_operating") or "1").strip() not in ("1", "Y", "y"):
            raise SkipRow("emergency room not operating")
        lon, lat = _lonlat(row)
        return Facility(
            f"ER-{row.get('hpid') or i}",
            row.get("name") or "",
            "emergency_room",
            lon,
            lat,
            (row.get("em_level") or "").strip(),
        )

    return _read(path, parse)


def read_shelters(path: Path) -> tuple[list[Facility], FileReport]:
    """Shelters (sample of central Seoul); one facility per place, types merged in the name."""
    seen: dict[tuple[float, float, str], int] = {}

    def parse(row: Row, i: int) -> Facility:
        lon, lat = _lonlat(row)
        key = (round(lon, 6), round(lat, 6), row.get("name") or "")
        if key in seen:
            raise SkipRow("same place already listed under another shelter type")
        seen[key] = i
        kind_ko = (row.get("shelter_type") or "").lower()
        return Facility(
            f"SH-{kind_ko}-{row.get('src_id') or i}", row.get("name") or "", "shelter", lon, lat
        )

    return _read(path, parse)
