"""A supervisor's silence: no new drafts of one hazard in one area until a stated time.

A silence quiets the dispatchers' queue where a hazard is already known and handled (a
chemical plant whose odour draws calls all afternoon). It never holds back a 위급 warning,
and every draft it suppresses is still recorded, withdrawn, with the silence's id.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import shapely
import shapely.geometry

from alerts.errors import AlertError
from alerts.model import Tier, rfc3339

__all__ = ["Silence", "covering", "silence_from_dict"]


@dataclass(frozen=True)
class Silence:
    """No drafts of ``hazard`` for incidents inside ``area`` from ``at`` until ``until``."""

    id: str
    hazard: str
    area: Any = field(repr=False, compare=False)
    at: datetime
    until: datetime
    by: str
    reason: str

    @classmethod
    def of(
        cls,
        silence_id: str,
        hazard: str,
        area: Mapping[str, Any],
        at: datetime,
        duration_s: float,
        by: str,
        reason: str,
    ) -> Silence:
        """A silence from a command's fields (``area`` as GeoJSON)."""
        geometry = shapely.geometry.shape(area)
        if geometry.is_empty or geometry.geom_type not in ("Polygon", "MultiPolygon"):
            raise AlertError("a silence needs a non-empty Polygon or MultiPolygon area")
        if not geometry.is_valid:
            geometry = shapely.make_valid(geometry)
        until = at + timedelta(seconds=duration_s)
        return cls(silence_id, hazard, geometry, at, until, by, reason)

    def active(self, now: datetime) -> bool:
        """True while the silence holds."""
        return self.at <= now < self.until

    def covers(self, hazard: str, tier: Tier, lon: float, lat: float, now: datetime) -> bool:
        """True when a draft of this hazard and tier at (lon, lat) is silenced now; a 위급
        (critical) draft never is."""
        return (
            tier is not Tier.CRITICAL
            and hazard == self.hazard
            and self.active(now)
            and self.area.intersects(shapely.Point(lon, lat))
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON form (the follow-up stage's table)."""
        return {
            "id": self.id,
            "hazard": self.hazard,
            "area": shapely.geometry.mapping(self.area),
            "at": rfc3339(self.at),
            "until": rfc3339(self.until),
            "by": self.by,
            "reason": self.reason,
        }


def silence_from_dict(d: Mapping[str, Any]) -> Silence:
    """A Silence from its to_dict() form."""
    try:
        return Silence(
            id=d["id"],
            hazard=d["hazard"],
            area=shapely.geometry.shape(d["area"]),
            at=datetime.fromisoformat(d["at"]),
            until=datetime.fromisoformat(d["until"]),
            by=d["by"],
            reason=d.get("reason", ""),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise AlertError(f"not a silence record: {exc!r}") from exc


def covering(
    silences: Iterable[Silence], hazard: str, tier: Tier, lon: float, lat: float, now: datetime
) -> Silence | None:
    """The silence that suppresses a draft, if any (the one that lasts longest)."""
    found = [s for s in silences if s.covers(hazard, tier, lon, lat, now)]
    return max(found, key=lambda s: s.until) if found else None
