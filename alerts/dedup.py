"""De-duplication: the same hazard over an overlapping area within a window is one alert."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import shapely

from alerts.metric import to_metric
from alerts.model import Alert, AlertStatus, Mode
from alerts.policy import Policy

__all__ = ["find_duplicate", "overlap_ratio"]

_ACTIVE = (AlertStatus.DRAFT, AlertStatus.APPROVED, AlertStatus.SENT)


def overlap_ratio(a: Any, b: Any) -> float:
    """Intersection area over the smaller area of two WGS84 areas (0 when disjoint)."""
    if not a.intersects(b):
        return 0.0
    am, bm = to_metric(a), to_metric(b)
    smaller = min(float(am.area), float(bm.area))
    return float(am.intersection(bm).area) / smaller if smaller > 0 else 0.0


def find_duplicate(
    hazard: str,
    area: Any,
    mode: Mode,
    at: datetime,
    existing: Iterable[Alert],
    policy: Policy,
) -> Alert | None:
    """The most recent active alert this one duplicates, or None."""
    window = timedelta(seconds=policy.dedup_window_s)
    candidates = [
        alert
        for alert in existing
        if alert.status in _ACTIVE
        and alert.hazard == hazard
        and alert.mode is mode
        and at - window <= alert.issued_at <= at + window
    ]
    if not candidates:
        return None
    # one vectorised test first: most live alerts are far away
    meets = shapely.intersects(np.array([a.area for a in candidates], dtype=object), area)
    best: Alert | None = None
    for alert, meet in zip(candidates, meets, strict=True):
        if not meet or overlap_ratio(alert.area, area) < policy.dedup_min_overlap_ratio:
            continue
        if best is None or alert.issued_at > best.issued_at:
            best = alert
    return best
