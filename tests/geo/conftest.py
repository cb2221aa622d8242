"""Fixtures of the geo tests: the built-in city always, the Seoul city when its data is there."""

from __future__ import annotations

import pytest

from geo import City, load_city
from geo.load import has_seoul_data
from tests.geo.geo_seoul_data import SEOUL_DIR, SEOUL_SKIP_REASON


@pytest.fixture(scope="session")
def builtin() -> City:
    """The built-in demo city."""
    return load_city(None)


@pytest.fixture(scope="session")
def seoul() -> City:
    """The Seoul city (skips when the data directory is absent)."""
    if not has_seoul_data(SEOUL_DIR):
        pytest.skip(SEOUL_SKIP_REASON)
    return load_city(SEOUL_DIR)
