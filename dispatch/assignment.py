"""Assignment records (the `assignments` topic value) built from a recommendation."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Literal

from dispatch.recommend import Recommendation

__all__ = ["AssignmentStatus", "to_assignments"]

AssignmentStatus = Literal["recommended", "assigned", "cancelled"]


def to_assignments(
    incident_id: str,
    recommendation: Recommendation,
    *,
    status: AssignmentStatus,
    issued_at: datetime,
) -> list[dict[str, object]]:
    """One contract-shaped assignment dict per recommended unit."""
    out: list[dict[str, object]] = []
    for pick in recommendation.units:
        out.append(
            {
                "incident_id": incident_id,
                "unit_id": pick.unit_id,
                "status": status,
                "eta_s": round(pick.eta_s, 1),
                "distance_m": None if math.isnan(pick.distance_m) else round(pick.distance_m, 1),
                "route": pick.route,
                "golden_time_s": recommendation.golden_time_s,
                "within_golden_time": pick.within_golden_time,
                "issued_at": issued_at.isoformat(),
                "kind": pick.kind,
                "first_responder": pick.first_responder,
                "substitute_for": pick.substitute_for,
            }
        )
    return out
