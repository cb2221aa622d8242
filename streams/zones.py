"""Fusion zones: the evidence that must meet is fused in one place, in order.

Any fixed spatial partition of a city has borders, and two reports metres apart on either
side of one would be fused in different places (routing to the least neighbouring cell only
moves the border to the margin line). So fusion runs sequentially per *zone*, and a zone is
a whole city: intake (parsing, validation, dead-lettering) scales across partitions and
workers (its own consumer group), while fusion of a city's evidence is one ordered stream.
At Seoul's ~6,500 calls a day even a 100× surge is ~8 events/s, far below one fusion sequencer's
capacity; a deployment covering several cities maps each to its own zone.
"""

from __future__ import annotations

CITY_ZONE = "city"


def zone_key(lon: float, lat: float) -> str:
    """The fusion zone of a point: every point of the service area is in the city's zone."""
    return CITY_ZONE
