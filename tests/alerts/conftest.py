"""Fixtures for alerts tests: the packaged policy and real Seoul polygons when present."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from shapely.geometry import shape

from alerts import DistrictShape, Policy, load_policy

SEOUL_DATA = Path("/work/shared/data/seoul")


@pytest.fixture(scope="session")
def policy() -> Policy:
    """The packaged alert policy."""
    return load_policy()


def _load(name: str, code_key: str, name_key: str, level: str) -> tuple[DistrictShape, ...]:
    path = SEOUL_DATA / name
    if not path.exists():
        pytest.skip(f"real Seoul data not present at {path}")
    features = json.loads(path.read_text(encoding="utf-8"))["features"]
    return tuple(
        DistrictShape(
            f["properties"][code_key], f["properties"][name_key], level, shape(f["geometry"])
        )
        for f in features
    )


@pytest.fixture(scope="session")
def seoul_gu() -> tuple[DistrictShape, ...]:
    """The 25 real Seoul gu polygons (skipped when the shared data is absent)."""
    return _load("seoul_gu_boundaries.geojson", "gu_code", "gu_name", "gu")


@pytest.fixture(scope="session")
def seoul_dong() -> tuple[DistrictShape, ...]:
    """Seoul administrative dong polygons, 2013 simplified (skipped when absent)."""
    return _load(
        "seoul_admin_dong_boundaries_2013_simplified.geojson",
        "adm_dong_code_kostat",
        "dong_name",
        "dong",
    )
