"""Dispatcher overrides of a recommendation, as audit records."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from dispatch.errors import DispatchError
from dispatch.recommend import Recommendation

__all__ = ["Override", "record_override"]


@dataclass(frozen=True)
class Override:
    """Who changed which recommended units into which, when and why."""

    incident_id: str
    by: str
    reason: str
    at: datetime
    recommended: tuple[str, ...]
    chosen: tuple[str, ...]
    added: tuple[str, ...]
    removed: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form of the audit record."""
        return {
            "incident_id": self.incident_id,
            "by": self.by,
            "reason": self.reason,
            "at": self.at.isoformat(),
            "recommended": list(self.recommended),
            "chosen": list(self.chosen),
            "added": list(self.added),
            "removed": list(self.removed),
        }


def record_override(
    incident_id: str,
    recommendation: Recommendation,
    chosen: Sequence[str],
    *,
    by: str,
    reason: str,
    at: datetime,
) -> Override:
    """Audit a dispatcher's change to a recommendation; who and why are mandatory."""
    if not by.strip():
        raise DispatchError(f"override of {incident_id}: who overrode is required")
    if not reason.strip():
        raise DispatchError(f"override of {incident_id} by {by}: a reason is required")
    if at.tzinfo is None:
        raise DispatchError(f"override of {incident_id}: time must carry an offset")
    rec = recommendation.unit_ids
    return Override(
        incident_id=incident_id,
        by=by.strip(),
        reason=reason.strip(),
        at=at,
        recommended=rec,
        chosen=tuple(chosen),
        added=tuple(u for u in chosen if u not in rec),
        removed=tuple(u for u in rec if u not in chosen),
    )
