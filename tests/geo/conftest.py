"""Fixtures of the geo tests: the grid city, and Seoul (the reference data when it is beside
the checkout, else the city pack shipped in the package)."""

from __future__ import annotations

import pytest

from geo import City, load_city
from geo.load import has_seoul_data
from geo.pack import BUILTIN_SEOUL_PACK
from tests.geo.geo_seoul_data import SEOUL_DIR


@pytest.fixture(scope="session")
def builtin() -> City:
    """The built-in demo city."""
    return load_city(None)


@pytest.fixture(scope="session")
def seoul() -> City:
    """The Seoul city: from the reference data directory when present, else from the pack."""
    return load_city(SEOUL_DIR if has_seoul_data(SEOUL_DIR) else BUILTIN_SEOUL_PACK)
