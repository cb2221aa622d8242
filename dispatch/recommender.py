"""Live recommendations for a city: fleet positions, one road search per incident, routes."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import numpy as np

from dispatch.coverage import CoverageState, UnitSite
from dispatch.fleet import DEFAULT_STALE_AFTER_S, Fleet, Unit
from dispatch.moveup import MoveUp, district_cover, suggest_move_ups
from dispatch.recommend import Candidate, Policy, Recommendation, recommend
from dispatch.run_cards import RunCard, RunCardBook, load_run_cards
from geo import City

__all__ = ["DEFAULT_COVER_TRAVEL_S", "Recommender", "straight_line_m"]

# Travel time within which an idle unit "covers" a point: golden time minus call
# processing and turnout (60 s each) for the type each kind mostly serves.
DEFAULT_COVER_TRAVEL_S: Mapping[str, float] = {
    "ambulance": 480.0 - 120.0,  # medical
    "engine": 420.0 - 120.0,  # fire
    "ladder": 420.0 - 120.0,
    "rescue": 420.0 - 120.0,
}
MOVE_UP_KINDS = ("ambulance", "engine")
AT_STATION_M = 150.0  # a unit this close to its station still has to turn out
PER_KIND = 12  # nearest candidates per kind handed to the decision (more for big cards)
SNAP_CACHE_SIZE = 50_000  # remembered position -> road node answers
EARTH_M = 6_371_008.8


def straight_line_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres between two WGS84 points.

    >>> round(straight_line_m(126.978, 37.5665, 126.978, 37.5765))
    1112
    """
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_M * math.asin(math.sqrt(a))


def _haversine_m(
    lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray
) -> np.ndarray:
    """Great-circle distances in metres, element-wise."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2 - lon1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return np.asarray(2 * EARTH_M * np.arcsin(np.sqrt(a)))


@dataclass(frozen=True)
class _Snapshot:
    """The units that could go, as arrays: kind, road node, turnout, distance, staleness."""

    units: list[Unit]
    kinds: np.ndarray
    nodes: np.ndarray
    turnout_s: np.ndarray
    distance_m: np.ndarray
    stale: np.ndarray


class Recommender:
    """Recommends units for incidents in one city from the live fleet."""

    def __init__(
        self,
        city: City,
        book: RunCardBook | None = None,
        *,
        policy: Policy | None = None,
        stale_after_s: float = DEFAULT_STALE_AFTER_S,
        turnout_s: float = 60.0,
        cover_travel_s: Mapping[str, float] = DEFAULT_COVER_TRAVEL_S,
    ) -> None:
        self.city = city
        self.book = book or load_run_cards()
        self.policy = policy or Policy()
        self.stale_after_s = stale_after_s
        self.turnout_s = turnout_s
        self.cover_travel_s = dict(cover_travel_s)
        self.coverage: CoverageState | None = None
        self._districts: dict[str, np.ndarray] | None = None
        self._normal: dict[str, dict[str, float]] | None = None
        self._snap_cache: dict[tuple[float, float], int] = {}

    def prepare_coverage(self) -> CoverageState:
        """Travel times from every station (one search each); call once at start-up."""
        g = self.city.roads
        site_times = {st.id: g.times_from(g.snap(st.lon, st.lat).node) for st in self.city.stations}
        self.coverage = CoverageState(site_times, self.cover_travel_s)
        return self.coverage

    def sync_coverage(self, fleet: Fleet) -> None:
        """Count available units at their station, uncount the others (incremental)."""
        if self.coverage is None:
            return
        idle = {u.unit_id: u for u in fleet.available()}
        counted = self.coverage.unit_ids()
        for uid in counted - idle.keys():
            self.coverage.remove(uid)
        for uid in idle.keys() - counted:
            unit = idle[uid]
            self.coverage.add(UnitSite(uid, unit.kind, unit.station_id))

    def recommend(
        self,
        incident_type: str,
        priority: int,
        lon: float,
        lat: float,
        fleet: Fleet,
        now: datetime,
        *,
        patients: int = 0,
        alarm_level: int = 0,
        elapsed_s: float = 0.0,
        with_routes: bool = False,
    ) -> Recommendation:
        """Units for an incident at (lon, lat), checked against its golden time."""
        card = self.book.card_for(
            incident_type, priority, patients=patients, alarm_level=alarm_level
        )
        g = self.city.roads
        target = g.snap(lon, lat).node
        kinds = {k for k, _ in card.units} | {
            s for k, _ in card.units for s in card.substitutes_for(k)
        }
        snap = self._snapshot([u for u in fleet.available() if u.kind in kinds], now, lon, lat)
        self.sync_coverage(fleet)
        tt = g.times_to(target, 2 * card.golden_time_s)
        rec = recommend(
            card,
            self._candidates(card, snap, tt),
            coverage=self.coverage,
            policy=self.policy,
            elapsed_s=elapsed_s,
        )
        if not rec.filled or rec.first_eta_s is None:
            tt = g.times_to(target)
            rec = recommend(
                card,
                self._candidates(card, snap, tt),
                coverage=self.coverage,
                policy=self.policy,
                elapsed_s=elapsed_s,
            )
            reason = f"plan not filled within {2 * card.golden_time_s:.0f} s: search widened"
            rec = replace(rec, reasons=(reason, *rec.reasons))
        if with_routes:
            node_of = {u.unit_id: int(n) for u, n in zip(snap.units, snap.nodes, strict=True)}
            rec = self._with_routes(rec, node_of, target)
        return rec

    def _snapshot(self, units: list[Unit], now: datetime, lon: float, lat: float) -> _Snapshot:
        """Positions (station when the fix is stale), road nodes and distances of units."""
        cutoff = now - timedelta(seconds=self.stale_after_s)
        stale = np.array(
            [
                u.lon is None or u.lat is None or u.last_fix_at is None or u.last_fix_at < cutoff
                for u in units
            ],
            dtype=bool,
        )
        slon = np.array([u.station_lon for u in units], dtype=float)
        slat = np.array([u.station_lat for u in units], dtype=float)
        plon = np.where(stale, slon, [u.lon if u.lon is not None else 0.0 for u in units])
        plat = np.where(stale, slat, [u.lat if u.lat is not None else 0.0 for u in units])
        nodes = self._snap_nodes(plon, plat)
        at_station = _haversine_m(plon, plat, slon, slat) <= AT_STATION_M
        return _Snapshot(
            units=units,
            kinds=np.array([u.kind for u in units]),
            nodes=nodes,
            turnout_s=np.where(at_station, self.turnout_s, 0.0),
            distance_m=_haversine_m(plon, plat, np.full_like(plon, lon), np.full_like(plat, lat)),
            stale=stale,
        )

    def _snap_nodes(self, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
        """Road nodes of positions, remembering earlier answers (stations repeat)."""
        keys = list(zip(lons.tolist(), lats.tolist(), strict=True))
        missing = [i for i, k in enumerate(keys) if k not in self._snap_cache]
        if missing:
            nodes, _ = self.city.roads.snap_many(lons[missing], lats[missing])
            if len(self._snap_cache) > SNAP_CACHE_SIZE:
                self._snap_cache.clear()
            self._snap_cache.update(
                (keys[i], int(n)) for i, n in zip(missing, nodes.tolist(), strict=True)
            )
        return np.array([self._snap_cache[k] for k in keys], dtype=np.int64)

    def _candidates(self, card: RunCard, snap: _Snapshot, tt: np.ndarray) -> list[Candidate]:
        """The nearest reachable units of each kind the card may use."""
        eta = tt[snap.nodes] + snap.turnout_s if len(snap.units) else np.zeros(0)
        out: list[Candidate] = []
        for kind in set(snap.kinds.tolist()):
            idx = np.nonzero((snap.kinds == kind) & np.isfinite(eta))[0]
            keep = max(PER_KIND, 2 * card.count(kind) + 2)
            if len(idx) > keep:
                idx = idx[np.argpartition(eta[idx], keep)[:keep]]
            for i in idx.tolist():
                unit = snap.units[i]
                out.append(
                    Candidate(
                        unit_id=unit.unit_id,
                        kind=unit.kind,
                        eta_s=float(eta[i]),
                        distance_m=float(snap.distance_m[i]),
                        station_id=unit.station_id,
                        stale=bool(snap.stale[i]),
                    )
                )
        return out

    def _with_routes(
        self, rec: Recommendation, node_of: Mapping[str, int], target: int
    ) -> Recommendation:
        """Road route geometry and distance for every recommended unit."""
        g = self.city.roads
        picks = []
        for pick in rec.units:
            route = g.route(node_of[pick.unit_id], target)
            if route is None:
                picks.append(pick)
                continue
            picks.append(replace(pick, route=route.geometry, distance_m=route.distance_m))
        return replace(rec, units=tuple(picks))

    def move_ups(self, fleet: Fleet, *, max_moves: int = 2) -> list[MoveUp]:
        """Move-up suggestions for ambulances and engines when a district is left uncovered.

        A district is uncovered when its cover falls below half of its normal cover (the
        whole fleet at its stations), so districts no station reaches well are not chased.
        """
        if self.coverage is None:
            self.prepare_coverage()
        assert self.coverage is not None
        self.sync_coverage(fleet)
        districts = self._district_nodes()
        if self._normal is None:
            home = CoverageState(self.coverage.site_times, self.cover_travel_s)
            for st in self.city.stations:
                for seed in st.units:
                    home.add(UnitSite(seed.unit_id, seed.kind, st.id))
            self._normal = {k: district_cover(home, k, districts) for k in MOVE_UP_KINDS}
        moves: list[MoveUp] = []
        for kind in MOVE_UP_KINDS:
            moves += suggest_move_ups(
                self.coverage,
                kind,
                districts,
                max_moves=max_moves,
                normal_share=self._normal[kind],
            )
        return moves

    def _district_nodes(self) -> dict[str, np.ndarray]:
        """Road nodes of each district (gu), computed once."""
        if self._districts is None:
            lons, lats = self.city.roads.node_lonlats()
            codes = []
            for x, y in zip(lons, lats, strict=True):
                d = self.city.district_at(float(x), float(y))
                codes.append(d.code if d else "")
            arr = np.array(codes)
            self._districts = {c: np.nonzero(arr == c)[0] for c in sorted(set(codes) - {""})}
        return self._districts
