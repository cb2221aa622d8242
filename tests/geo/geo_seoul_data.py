"""Where the Seoul data is for the tests: GT_DATA_DIR, else ../shared/data/seoul."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from geo.load import has_seoul_data

REPO = Path(__file__).resolve().parents[2]


def seoul_data_dir() -> Path:
    """GT_DATA_DIR, else ../shared/data/seoul next to the repository."""
    env = os.environ.get("GT_DATA_DIR")
    return Path(env) if env else REPO.parent / "shared" / "data" / "seoul"


SEOUL_DIR = seoul_data_dir()
SEOUL_SKIP_REASON = (
    f"Seoul data not found in {SEOUL_DIR} (set GT_DATA_DIR to the directory holding "
    "seoul_nodelink_nodes.csv); built-in city tests still run"
)
needs_seoul = pytest.mark.skipif(not has_seoul_data(SEOUL_DIR), reason=SEOUL_SKIP_REASON)
