"""Scenario generation: a normal day of the city at its real pace, disaster scenarios on
top of it, simulated crews, and the surge generator used by the benchmarks."""

from scenarios.day import NormalDay
from scenarios.disasters import Scenario, describe, load_scenario, scenario_names
from scenarios.generator import CityTraffic, GeneratedEvent
from scenarios.pace import DayPace, load_pace

__all__ = [
    "CityTraffic",
    "DayPace",
    "GeneratedEvent",
    "NormalDay",
    "Scenario",
    "describe",
    "load_pace",
    "load_scenario",
    "scenario_names",
]
