"""The indexes find every incident evidence may join (they may return more, never fewer)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from streams.fusion import JOIN_RADIUS_M, T, distance_m, join_radius_m
from streams.index import GridIndex, KindIndex

lons = st.floats(126.76, 127.18)
lats = st.floats(37.42, 37.70)
offsets_m = st.floats(-6000, 6000)
kinds = st.sampled_from(list(T))
M_PER_DEG = 111_320.0


def _offset(lon: float, lat: float, dx_m: float, dy_m: float) -> tuple[float, float]:
    return lon + dx_m / (M_PER_DEG * 0.79), lat + dy_m / M_PER_DEG


@settings(max_examples=300, deadline=None)
@given(
    lon=lons,
    lat=lats,
    radius_m=st.sampled_from(sorted(set(JOIN_RADIUS_M.values()))),
    others=st.lists(st.tuples(offsets_m, offsets_m), min_size=1, max_size=30),
)
def test_near_returns_every_incident_within_the_radius(
    lon: float, lat: float, radius_m: float, others: list[tuple[float, float]]
) -> None:
    index = GridIndex(ref_lat=37.55)
    points = {}
    scale = radius_m / 6000 * 1.5  # many points near the radius, some far beyond
    for i, (dx_m, dy_m) in enumerate(others):
        points[f"i{i}"] = _offset(lon, lat, dx_m * scale, dy_m * scale)
        index.put(f"i{i}", *points[f"i{i}"])
    found = set(index.near(lon, lat, radius_m))
    within = {k for k, (x, y) in points.items() if distance_m(lon, lat, x, y) <= radius_m}
    assert within <= found


def test_near_is_local() -> None:
    index = GridIndex(ref_lat=37.55)
    index.put("here", 126.9780, 37.5665)
    index.put("far", 127.0276, 37.4979)  # 강남역, ~9 km away
    assert index.near(126.9781, 37.5666, JOIN_RADIUS_M[T.FIRE]) == ["here"]


def test_a_dense_index_is_searched_by_cell_and_stays_exact() -> None:
    index = GridIndex(ref_lat=37.55)
    for i in range(400):  # more cells than a 300 m window: the per-cell path
        index.put(f"i{i}", 126.90 + (i % 20) * 0.004, 37.50 + (i // 20) * 0.004)
    found = set(index.near(126.90 + 10 * 0.004, 37.50 + 10 * 0.004, 300))
    assert "i210" in found and "i0" not in found and len(found) < 20


def test_moving_and_removing_keep_the_index_consistent() -> None:
    index = GridIndex(ref_lat=37.55)
    index.put("a", 126.9780, 37.5665)
    index.put("a", 127.0276, 37.4979)
    assert index.near(126.9780, 37.5665, 300) == []
    assert index.near(127.0276, 37.4979, 300) == ["a"]
    index.remove("a")
    assert len(index) == 0 and index.near(127.0276, 37.4979, 300) == []


@settings(max_examples=300, deadline=None)
@given(
    lon=lons,
    lat=lats,
    kind=kinds,
    others=st.lists(st.tuples(kinds, offsets_m, offsets_m), min_size=1, max_size=30),
)
def test_kind_index_returns_every_incident_the_evidence_may_join(
    lon: float, lat: float, kind: T, others: list[tuple[T, float, float]]
) -> None:
    index = KindIndex[T](join_radius_m, ref_lat=37.55)
    points = {}
    for i, (other, dx_m, dy_m) in enumerate(others):
        p_lon, p_lat = _offset(lon, lat, dx_m / 4, dy_m / 4)  # within ±1.5 km
        points[f"i{i}"] = (other, p_lon, p_lat)
        index.put(f"i{i}", other, p_lon, p_lat)
    found = index.near(kind, lon, lat)
    assert len(found) == len(set(found))
    joinable = {
        k
        for k, (other, x, y) in points.items()
        if (radius := join_radius_m(kind, other)) is not None
        and distance_m(lon, lat, x, y) <= radius
    }
    assert joinable <= set(found)
    assert all(join_radius_m(kind, points[k][0]) is not None for k in found)


def test_kind_index_follows_a_change_of_type() -> None:
    index = KindIndex[T](join_radius_m, ref_lat=37.55)
    index.put("a", T.MEDICAL, 126.9780, 37.5665)
    assert index.near(T.FLOOD, 126.9780, 37.5665) == []  # flood reports never join a medical
    index.put("a", T.RESCUE, 126.9780, 37.5665)
    assert index.near(T.FLOOD, 126.9780, 37.5665) == ["a"]  # …but do join a rescue
    assert index.near(T.MEDICAL, 126.9780, 37.5665) == []  # no longer under its old type
    assert len(index) == 1
    index.remove("a")
    assert len(index) == 0 and index.near(T.FIRE, 126.9780, 37.5665) == []
