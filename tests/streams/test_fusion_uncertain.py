"""Uncertain types join the emergency they are near; compatible pairs as a responder sees them."""

from __future__ import annotations

import doctest
from dataclasses import replace
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

import streams.fusion
from streams.contract import IncidentType
from streams.evidence import Evidence
from streams.fusion import (
    OTHER_REACH_M,
    T,
    absorb,
    distance_m,
    incident_id_for,
    join_radius_m,
    match,
    open_incident,
    reach_m,
    search_types,
)
from streams.index import KindIndex
from streams.pairs import PAIRS, REFUSED
from streams.zone import Zone
from tests.streams.samples import CITY_HALL, ITAEWON_ALLEY, T0, call_evidence

M_PER_DEG_LAT = 111_320.0
M_PER_DEG_LON = M_PER_DEG_LAT * 0.7927  # at 37.5° N


def east(metres: float, of: tuple[float, float] = CITY_HALL) -> tuple[float, float]:
    """A point ``metres`` east of ``of``."""
    return of[0] + metres / M_PER_DEG_LON, of[1]


def other_call(n: int, where: tuple[float, float] = CITY_HALL, at_s: float = 60) -> Evidence:
    """A call the call-taker categorised ``other``."""
    ev = call_evidence(n, at_s=at_s, lon=where[0], lat=where[1], kind=T.OTHER)
    return replace(ev, uncertain=True)


def test_an_other_call_next_to_a_fire_joins_the_fire_and_leaves_it_a_fire() -> None:
    fire = open_incident(call_evidence(1), "중구")
    ev = other_call(2, east(120))
    assert match(ev, [fire]) is fire
    joined = absorb(fire, ev).incident
    assert joined.type is T.FIRE and len(joined.evidence) == 2
    assert joined.priority == fire.incident.priority


def test_an_other_call_far_from_everything_opens_its_own_incident() -> None:
    fire = open_incident(call_evidence(1), None)
    ev = other_call(2, east(2000))
    assert match(ev, [fire]) is None
    own = open_incident(ev, None).incident
    assert own.type is T.OTHER and own.priority == 4


def test_an_other_call_joins_the_nearest_of_two_incidents() -> None:
    fire = open_incident(call_evidence(1), None)
    crash = open_incident(call_evidence(2, kind=T.TRAFFIC, lon=east(150)[0]), None)
    assert match(other_call(3, east(100)), [fire, crash]) is crash
    assert match(other_call(4, east(40)), [fire, crash]) is fire


def test_an_other_call_outside_the_window_does_not_join() -> None:
    fire = open_incident(call_evidence(1), None)
    assert match(other_call(2, at_s=3 * 3600), [fire]) is None


def test_an_other_call_reaches_a_wide_emergency_only_as_far_as_a_block() -> None:
    flood = open_incident(call_evidence(1, kind=T.FLOOD), None)
    assert join_radius_m(T.FLOOD, T.FLOOD) == 1000
    assert match(other_call(2, east(OTHER_REACH_M - 20)), [flood]) is flood
    assert match(other_call(3, east(OTHER_REACH_M + 50)), [flood]) is None
    assert match(call_evidence(4, kind=T.FLOOD, lon=east(800)[0]), [flood]) is flood


def test_an_incident_opened_by_an_other_call_becomes_the_emergency_reported_next() -> None:
    unknown = open_incident(other_call(1), None)
    fire_call = call_evidence(2, at_s=90, lon=east(60)[0])
    assert match(fire_call, [unknown]) is unknown
    inc = absorb(unknown, fire_call).incident
    assert inc.type is T.FIRE and inc.golden_time_s == 420 and inc.priority == 2


def test_uncertain_evidence_joins_near_anything_but_names_no_incident_that_has_a_type() -> None:
    flood = open_incident(call_evidence(1, kind=T.FLOOD), None)
    sure = call_evidence(2, kind=T.MEDICAL, lon=east(100)[0])
    guess = replace(sure, id="call-3", uncertain=True)
    assert search_types(sure) == (T.MEDICAL,) and search_types(guess) == (T.MEDICAL, T.OTHER)
    assert match(sure, [flood]) is None  # a sick person is not the flood…
    assert match(guess, [flood]) is flood  # …but a report we cannot place joins what is near
    assert absorb(flood, guess).incident.type is T.FLOOD
    unknown = open_incident(other_call(4), None)
    assert absorb(unknown, guess).incident.type is T.MEDICAL  # better than "other"


def test_uncertain_evidence_keeps_its_own_wider_reach_for_compatible_types() -> None:
    rescue = open_incident(call_evidence(1, kind=T.RESCUE), None)
    guess = replace(call_evidence(2, kind=T.FLOOD, lon=east(800)[0]), uncertain=True)
    assert reach_m(guess, T.RESCUE) == 1000  # flood and rescue fuse at the flood's radius
    assert match(guess, [rescue]) is rescue


def test_people_trapped_hurt_or_collapsed_at_a_fire_and_a_gas_smell_are_the_fire() -> None:
    fire = open_incident(call_evidence(1), None)
    for n, kind in enumerate(
        [T.RESCUE, T.MEDICAL, T.CARDIAC_ARREST, T.COLLAPSE, T.GAS_LEAK], start=2
    ):
        ev = call_evidence(n, at_s=n * 30, kind=kind, lon=east(80)[0])
        assert match(ev, [fire]) is fire, kind
        fire = absorb(fire, ev)
    inc = fire.incident
    assert inc.type is T.FIRE and len(inc.evidence) == 6
    assert inc.golden_time_s == 240  # the cardiac arrest's target, the shortest counted


def test_falls_fainting_arrests_and_people_pinned_in_a_crowd_are_the_crowd() -> None:
    alley = ITAEWON_ALLEY
    crowd = open_incident(call_evidence(1, kind=T.CROWD, lon=alley[0], lat=alley[1]), None)
    for n, kind in enumerate([T.MEDICAL, T.CARDIAC_ARREST, T.RESCUE, T.COLLAPSE], start=2):
        ev = call_evidence(n, at_s=n * 60, kind=kind, lon=east(100, alley)[0], lat=alley[1])
        assert match(ev, [crowd]) is crowd, kind
        crowd = absorb(crowd, ev)
    assert crowd.incident.type is T.CROWD


def test_a_fire_reported_in_a_crowd_stays_its_own_incident() -> None:
    alley = ITAEWON_ALLEY
    crowd = open_incident(call_evidence(1, kind=T.CROWD, lon=alley[0], lat=alley[1]), None)
    assert match(call_evidence(2, lon=alley[0], lat=alley[1]), [crowd]) is None


def test_each_reviewed_pair_is_added_or_refused_once_with_a_reason() -> None:
    assert not set(PAIRS) & set(REFUSED)
    for pair, reason in [*PAIRS.items(), *REFUSED.items()]:
        assert len(pair) == 2 and T.OTHER not in pair and reason.strip()
    for pair in REFUSED:
        a, b = sorted(pair)
        assert join_radius_m(a, b) is None and join_radius_m(b, a) is None


def test_crowd_words_on_an_other_call_count_towards_a_crush_in_progress() -> None:
    alley = ITAEWON_ALLEY
    crowd = open_incident(call_evidence(0, kind=T.CROWD, lon=alley[0], lat=alley[1]), None)
    for n in range(1, 5):
        ev = replace(
            call_evidence(n, at_s=n * 120, kind=T.CROWD, lon=alley[0], lat=alley[1]),
            kind="other>crowd",  # categorised "other", the caller's words said a crush
        )
        crowd = absorb(crowd, ev)
    assert crowd.incident.mass_casualty
    assert crowd.incident.escalated_at == T0 + timedelta(seconds=480)


def test_evidence_keeps_its_uncertainty_through_the_evidence_topic() -> None:
    ev = other_call(1)
    assert Evidence.from_json(ev.to_json()) == ev
    older = {k: v for k, v in call_evidence(2).to_json().items() if k != "uncertain"}
    assert Evidence.from_json(older).uncertain is False


def test_fusion_examples_hold() -> None:
    assert doctest.testmod(streams.fusion).failed == 0


def test_the_zone_searches_an_uncertain_report_as_what_it_may_be() -> None:
    z = Zone({}, {}, lambda lon, lat: "중구")
    z.evidence(call_evidence(1, kind=T.FLOOD), T0)
    sure = call_evidence(2, kind=T.MEDICAL, lon=east(150)[0])
    z.evidence(sure, T0)
    z.evidence(replace(sure, id="call-3", lon=east(-100)[0], uncertain=True), T0)
    assert z.active_count == 2  # the flood, and the sick person's own incident
    flood = z.get(incident_id_for(call_evidence(1, kind=T.FLOOD)))
    assert flood is not None
    assert [ref.id for ref in flood.incident.evidence] == ["call-1", "call-3"]


lons = st.floats(126.80, 127.15)
lats = st.floats(37.45, 37.68)
offsets_m = st.floats(-1500, 1500)
kinds = st.sampled_from(list(T))


@settings(max_examples=300, deadline=None)
@given(
    lon=lons,
    lat=lats,
    kind=kinds,
    uncertain=st.booleans(),
    others=st.lists(st.tuples(kinds, offsets_m, offsets_m), min_size=1, max_size=25),
)
def test_the_index_finds_every_incident_that_match_may_choose(
    lon: float,
    lat: float,
    kind: IncidentType,
    uncertain: bool,
    others: list[tuple[IncidentType, float, float]],
) -> None:
    index = KindIndex[T](join_radius_m, ref_lat=37.55)
    states = {}
    for n, (other, dx_m, dy_m) in enumerate(others):
        p_lon, p_lat = lon + dx_m / M_PER_DEG_LON, lat + dy_m / M_PER_DEG_LAT
        state = open_incident(call_evidence(100 + n, kind=other, lon=p_lon, lat=p_lat), None)
        states[state.incident.id] = state
        index.put(state.incident.id, other, p_lon, p_lat)
    ev = replace(call_evidence(1, at_s=30, kind=kind, lon=lon, lat=lat), uncertain=uncertain)
    found = {i for t in search_types(ev) for i in index.near(t, lon, lat)}
    joinable = {
        i
        for i, s in states.items()
        if (radius := reach_m(ev, s.incident.type)) is not None
        and distance_m(lon, lat, s.incident.location.lon, s.incident.location.lat) <= radius
    }
    assert joinable <= found
    from_index = match(ev, [states[i] for i in found])
    from_all = match(ev, list(states.values()))
    assert (from_index is None) == (from_all is None)
    if from_index is not None and from_all is not None:  # equally near (ties may differ)
        here = (lon, lat)
        a, b = from_index.incident.location, from_all.incident.location
        assert distance_m(*here, a.lon, a.lat) == distance_m(*here, b.lon, b.lat)
