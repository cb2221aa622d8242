"""The grid index finds every incident within a radius (it may return more, never fewer)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from streams.fusion import JOIN_RADIUS_M, REACH_M, T, compatible, distance_m
from streams.index import GridIndex

lons = st.floats(126.76, 127.18)
lats = st.floats(37.42, 37.70)
offsets_m = st.floats(-6000, 6000)
M_PER_DEG = 111_320.0


@settings(max_examples=300, deadline=None)
@given(
    lon=lons,
    lat=lats,
    radius_m=st.sampled_from(sorted(set(REACH_M.values()))),
    others=st.lists(st.tuples(offsets_m, offsets_m), min_size=1, max_size=30),
)
def test_near_returns_every_incident_within_the_radius(
    lon: float, lat: float, radius_m: float, others: list[tuple[float, float]]
) -> None:
    index = GridIndex(ref_lat=37.55)
    points = {}
    for i, (dx_m, dy_m) in enumerate(others):
        scale = radius_m / 6000 * 1.5  # many points near the radius, some far beyond
        p_lon = lon + dx_m * scale / (M_PER_DEG * 0.79)
        p_lat = lat + dy_m * scale / M_PER_DEG
        points[f"i{i}"] = (p_lon, p_lat)
        index.put(f"i{i}", p_lon, p_lat)
    found = set(index.near(lon, lat, radius_m))
    within = {k for k, (x, y) in points.items() if distance_m(lon, lat, x, y) <= radius_m}
    assert within <= found


def test_near_is_local() -> None:
    index = GridIndex(ref_lat=37.55)
    index.put("here", 126.9780, 37.5665)
    index.put("far", 127.0276, 37.4979)  # 강남역, ~9 km away
    assert index.near(126.9781, 37.5666, REACH_M[T.FIRE]) == ["here"]


def test_moving_and_removing_keep_the_index_consistent() -> None:
    index = GridIndex(ref_lat=37.55)
    index.put("a", 126.9780, 37.5665)
    index.put("a", 127.0276, 37.4979)
    assert index.near(126.9780, 37.5665, 300) == []
    assert index.near(127.0276, 37.4979, 300) == ["a"]
    index.remove("a")
    assert len(index) == 0 and index.near(127.0276, 37.4979, 300) == []


def test_reach_covers_every_compatible_pair() -> None:
    for kind in T:
        for other in T:
            if compatible(other, kind):
                assert REACH_M[kind] >= max(JOIN_RADIUS_M[kind], JOIN_RADIUS_M[other])
