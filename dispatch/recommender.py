"""Live recommendations for a city: fleet positions, station-table travel times, routes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime

import numpy as np

from dispatch.coverage import CoverageState, UnitSite
from dispatch.fleet import DEFAULT_STALE_AFTER_S, Fleet
from dispatch.moveup import MoveUp, district_cover, suggest_move_ups
from dispatch.recommend import Candidate, Policy, Recommendation, recommend
from dispatch.run_cards import RunCard, RunCardBook, load_run_cards
from dispatch.snapshot import FleetArrays, Snapshot, straight_line_m
from geo import City, RoadGraph, TimeTable, TravelModel, TravelTimes

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
PER_KIND = 12  # nearest candidates per kind handed to the decision (more for big cards)
SNAP_CACHE_SIZE = 50_000  # remembered position -> road node answers


class Recommender:
    """Recommends units for incidents in one city from the live fleet.

    With `use_station_table` (the default) travel times of units at a station node are
    looked up in the city's station table and their routes walked up its shortest-path
    trees; units elsewhere cost one reverse search per incident. Without it every
    incident costs reverse searches and a forward search per route (the plain path,
    kept as the reference the fast one is tested against).

    With a `travel` model (geo.travel) times come from the road graph and station table of
    the hour band `now` falls in, plus the last stretch from the road to the incident and
    the turnout of each unit's kind; every ETA then carries its 90th percentile, which the
    golden-time check uses. Without one, the city's own (reference) times and `turnout_s`.
    """

    def __init__(
        self,
        city: City,
        book: RunCardBook | None = None,
        *,
        policy: Policy | None = None,
        stale_after_s: float = DEFAULT_STALE_AFTER_S,
        turnout_s: float = 60.0,
        cover_travel_s: Mapping[str, float] = DEFAULT_COVER_TRAVEL_S,
        use_station_table: bool = True,
        travel: TravelModel | None = None,
    ) -> None:
        self.city = city
        self.book = book or load_run_cards()
        self.policy = policy or Policy()
        self.stale_after_s = stale_after_s
        self.turnout_s = turnout_s
        self.cover_travel_s = dict(cover_travel_s)
        self.use_station_table = use_station_table
        self.travel = travel
        self.coverage: CoverageState | None = None
        self._districts: dict[str, np.ndarray] | None = None
        self._normal: dict[str, dict[str, float]] | None = None
        self._snap_cache: dict[tuple[float, float], int] = {}
        self._target_cache: dict[tuple[float, float], tuple[int, float]] = {}
        self._arrays: tuple[Fleet, int, FleetArrays] | None = None
        self._synced: tuple[Fleet, int, CoverageState, int] | None = None
        self._closed_edges: np.ndarray = np.zeros(0, np.int64)
        self._closed_graphs: dict[int, tuple[RoadGraph, RoadGraph]] = {}

    def prepare_coverage(self) -> CoverageState:
        """Travel times from every station (the station table's rows, else one search each);
        call once at start-up (it also builds the station table)."""
        g = self.city.roads
        table = self._table()
        site_times = {}
        for st in self.city.stations:
            node = g.snap(st.lon, st.lat).node
            if table is not None and table.is_anchor(node):
                site_times[st.id] = table.times_from(node)
            else:
                site_times[st.id] = g.times_from(node)
        self.coverage = CoverageState(site_times, self.cover_travel_s)
        self._synced = None
        return self.coverage

    def sync_coverage(self, fleet: Fleet) -> None:
        """Count available units at their station, uncount the others (incremental)."""
        cov = self.coverage
        if cov is None:
            return
        if self._synced == (fleet, fleet.version, cov, cov.version):
            return  # nothing changed since the last sync
        idle = {u.unit_id: u for u in fleet.available()}
        counted = cov.unit_ids()
        for uid in counted - idle.keys():
            cov.remove(uid)
        for uid in idle.keys() - counted:
            unit = idle[uid]
            cov.add(UnitSite(uid, unit.kind, unit.station_id))
        self._synced = (fleet, fleet.version, cov, cov.version)

    def _table(self) -> TimeTable | None:
        return self.city.station_table if self.use_station_table else None

    def close_edges(self, edges: np.ndarray) -> None:
        """Take these road edges (``RoadGraph.edge_arrays`` indices) out of every
        recommendation and route from now on (closed structures); empty reopens all."""
        self._closed_edges = np.unique(np.asarray(edges, np.int64))
        self._closed_graphs = {}

    @property
    def closed_edges(self) -> np.ndarray:
        """The road edges recommendations and routes avoid."""
        return self._closed_edges

    def graph_at(self, now: datetime) -> RoadGraph:
        """The road graph recommendations use at ``now``, closed edges taken out."""
        return self._roads_at(now)[0]

    def open_graph_at(self, now: datetime) -> RoadGraph:
        """The road graph of the moment with every edge open."""
        return self._open_roads_at(now)[0]

    def _roads_at(self, now: datetime) -> tuple[RoadGraph, TimeTable | None]:
        """The road graph and station table of the moment (one per hour band with a travel
        model; the city's own otherwise). With closed edges, the graph without them and no
        station table (its trees were grown with every edge open)."""
        graph, table = self._open_roads_at(now)
        if self._closed_edges.size == 0:
            return graph, table
        hit = self._closed_graphs.get(id(graph))
        if hit is None or hit[0] is not graph:
            hit = (graph, graph.without_edges(self._closed_edges))
            self._closed_graphs[id(graph)] = hit
        return hit[1], None

    def _open_roads_at(self, now: datetime) -> tuple[RoadGraph, TimeTable | None]:
        if self.travel is None:
            return self.city.roads, self._table()
        times = TravelTimes.for_city(self.city, self.travel)
        return times.graph(now), times.table(now) if self.use_station_table else None

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
        target, snap_m = self._target_node(lon, lat)
        graph, table = self._roads_at(now)
        kinds = {k for k, _ in card.units} | {
            s for k, _ in card.units for s in card.substitutes_for(k)
        }
        snap = self._fleet_arrays(fleet).select(
            kinds, now, lon, lat, stale_after_s=self.stale_after_s, turnout_s=self.turnout_s
        )
        self.sync_coverage(fleet)
        horizon_s = 2 * card.golden_time_s
        extra = self._extra_s(snap, snap_m)
        if table is not None:
            every = self._times_to(target, snap.nodes, table, graph)  # serves both passes
            near = np.where(every <= horizon_s, every, np.inf)
        else:
            near = self._searched(target, snap.nodes, horizon_s, graph)
        rec = recommend(
            card,
            self._candidates(card, snap, near, extra),
            coverage=self.coverage,
            policy=self.policy,
            elapsed_s=elapsed_s,
        )
        if not rec.filled or rec.first_eta_s is None:
            if table is None:
                every = self._searched(target, snap.nodes, np.inf, graph)
            if not np.array_equal(every, near):  # else the same candidates: the same answer
                rec = recommend(
                    card,
                    self._candidates(card, snap, every, extra),
                    coverage=self.coverage,
                    policy=self.policy,
                    elapsed_s=elapsed_s,
                )
            reason = f"plan not filled within {2 * card.golden_time_s:.0f} s: search widened"
            rec = replace(rec, reasons=(reason, *rec.reasons))
        if self.coverage is not None and self._synced is not None:
            # the decision restored what it spent: still in sync with this fleet version
            self._synced = (*self._synced[:3], self.coverage.version)
        if with_routes:
            rec = self._with_routes(rec, snap, target, table, graph)
        return rec

    def _extra_s(self, snap: Snapshot, snap_m: float) -> np.ndarray:
        """Per unit, seconds besides the road: turnout (units at their station) and, with
        a travel model, turnout by kind and the last stretch from the road to the scene."""
        if self.travel is None:
            return np.asarray(snap.turnout_s, float)
        by_kind = np.array([self.travel.turnout_for(str(k)) for k in snap.kinds], float)
        turnout = np.where(np.asarray(snap.turnout_s) > 0, by_kind, 0.0)
        return np.asarray(turnout + self.travel.last_stretch_s(snap_m), float)

    def _target_node(self, lon: float, lat: float) -> tuple[int, float]:
        """The road node of an incident position and its distance from it (remembered:
        incidents are re-planned)."""
        hit = self._target_cache.get((lon, lat))
        if hit is None:
            snap = self.city.roads.snap(lon, lat)
            hit = (snap.node, snap.distance_m)
            if len(self._target_cache) > SNAP_CACHE_SIZE:
                self._target_cache.clear()
            self._target_cache[(lon, lat)] = hit
        return hit

    def _searched(
        self, target: int, nodes: np.ndarray, horizon_s: float, graph: RoadGraph
    ) -> np.ndarray:
        """Travel times of nodes to target by one reverse search."""
        return np.asarray(graph.times_to(target, horizon_s)[nodes])

    def _times_to(
        self, target: int, nodes: np.ndarray, table: TimeTable, graph: RoadGraph
    ) -> np.ndarray:
        """Travel times of nodes to target: table lookups, one search for unanchored nodes."""
        anchored = table.anchored(nodes)
        if anchored.all():
            times = table.times_to(target, nodes)
        else:
            times = graph.times_to(target)[nodes]
            times[anchored] = table.times_to(target, nodes[anchored])
        return times

    def _fleet_arrays(self, fleet: Fleet) -> FleetArrays:
        """The available units as arrays, rebuilt when the fleet changed."""
        if self._arrays is None or self._arrays[:2] != (fleet, fleet.version):
            self._arrays = (fleet, fleet.version, FleetArrays(fleet.available(), self._snap_nodes))
        return self._arrays[2]

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

    def _candidates(
        self, card: RunCard, snap: Snapshot, tt: np.ndarray, extra_s: np.ndarray
    ) -> list[Candidate]:
        """The nearest reachable units of each kind the card may use."""
        eta = tt + extra_s if len(snap.units) else np.zeros(0)
        spread = self.travel.spread if self.travel is not None else None
        finite = np.isfinite(eta)
        out: list[Candidate] = []
        for kind, of_kind in snap.by_kind.items():
            idx = of_kind[finite[of_kind]]
            keep = max(PER_KIND, 2 * card.count(kind) + 2)
            if len(idx) > keep:
                idx = idx[np.argpartition(eta[idx], keep)[:keep]]
            for i in idx.tolist():
                unit = snap.units[i]
                p90 = spread(float(eta[i]))[1] if spread is not None else None
                out.append(
                    Candidate(
                        unit_id=unit.unit_id,
                        kind=unit.kind,
                        eta_s=float(eta[i]),
                        distance_m=float(snap.distance_m[i]),
                        station_id=unit.station_id,
                        stale=bool(snap.stale[i]),
                        eta_p90_s=p90,
                    )
                )
        return out

    def _with_routes(
        self,
        rec: Recommendation,
        snap: Snapshot,
        target: int,
        table: TimeTable | None,
        g: RoadGraph,
    ) -> Recommendation:
        """Road route geometry and distance for every recommended unit."""
        picks = []
        for pick in rec.units:
            node = int(snap.nodes[snap.index_of[pick.unit_id]])
            if table is not None and table.is_anchor(node):
                route = table.route(node, target, steps=False)  # line and length only
            else:
                route = g.route(node, target)
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
