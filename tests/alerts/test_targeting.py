"""Device targeting: the vectorised mask equals a per-point shapely loop."""

from __future__ import annotations

import numpy as np
from alert_samples import CITY_HALL, circle
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point

from alerts import devices_in_area


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), radius=st.floats(50, 5000))
def test_mask_equals_point_loop(seed, radius):
    rng = np.random.default_rng(seed)
    lon = CITY_HALL[0] + rng.uniform(-0.05, 0.05, 2000)
    lat = CITY_HALL[1] + rng.uniform(-0.05, 0.05, 2000)
    area = circle(*CITY_HALL, radius)
    mask = devices_in_area(area, lon, lat)
    loop = np.array([area.intersects(Point(x, y)) for x, y in zip(lon, lat, strict=True)])
    assert mask.dtype == bool and (mask == loop).all()


def test_no_device_near():
    area = circle(*CITY_HALL, 100)
    mask = devices_in_area(area, np.array([127.5, 126.0]), np.array([37.0, 38.0]))
    assert not mask.any()
