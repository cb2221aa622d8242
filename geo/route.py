"""Result types of routing: a snapped point, a route with geometry and street-name steps."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["EdgeSnap", "Route", "Snap", "Step", "merge_steps"]


@dataclass(frozen=True)
class Snap:
    """A point snapped to its nearest road node; distance_m is how far the point was."""

    node: int
    distance_m: float
    lon: float
    lat: float


@dataclass(frozen=True)
class EdgeSnap:
    """A point snapped onto its nearest road link(s): the foot of the perpendicular.

    edges holds (from, to, fraction) for each directed link through that foot (both
    directions of a two-way street), fraction being how far along from 'from' (0..1).
    """

    edges: tuple[tuple[int, int, float], ...]
    distance_m: float
    lon: float
    lat: float


@dataclass(frozen=True)
class Step:
    """A stretch of a route along one street, for crews ('' when the street has no name)."""

    street: str
    distance_m: float
    eta_s: float


@dataclass(frozen=True)
class Route:
    """A driven route: total time and length, node path, GeoJSON LineString, steps."""

    eta_s: float
    distance_m: float
    nodes: tuple[int, ...]
    geometry: dict[str, Any]
    steps: tuple[Step, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {
            "eta_s": self.eta_s,
            "distance_m": self.distance_m,
            "geometry": self.geometry,
            "steps": [
                {"street": s.street, "distance_m": s.distance_m, "eta_s": s.eta_s}
                for s in self.steps
            ],
        }


def merge_steps(
    streets: Sequence[str], lengths_m: Sequence[float], times_s: Sequence[float]
) -> tuple[Step, ...]:
    """Consecutive edges on the same street as one step each.

    >>> merge_steps(["A", "A", "B"], [10.0, 5.0, 2.0], [1.0, 0.5, 0.2])[0]
    Step(street='A', distance_m=15.0, eta_s=1.5)
    """
    steps: list[Step] = []
    for street, length_m, time_s in zip(streets, lengths_m, times_s, strict=True):
        if steps and steps[-1].street == street:
            last = steps[-1]
            steps[-1] = Step(street, last.distance_m + length_m, last.eta_s + time_s)
        else:
            steps.append(Step(street, float(length_m), float(time_s)))
    return tuple(steps)
