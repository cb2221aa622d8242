"""Scenario generation: simulated city traffic (calls, CCTV, sensors, units) and replays."""

from scenarios.generator import CityTraffic, GeneratedEvent

__all__ = ["CityTraffic", "GeneratedEvent"]
