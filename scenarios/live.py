"""Play a scenario against a running stack, on the clock its simulator publishes."""

from __future__ import annotations

import orjson

from scenarios.clock import clock_key
from scenarios.disasters import load_scenario
from scenarios.simulate import run
from stack.settings import Settings

__all__ = ["play_on_running_stack"]


def play_on_running_stack(settings: Settings, name: str, *, speed_given: bool = False) -> int:
    """Play scenario ``name`` from the running day's clock time (and speed, unless given);
    return the number of events sent. The day's own simulator keeps playing the day."""
    import redis

    cache = redis.Redis.from_url(settings.redis_url)
    try:
        raw = cache.get(clock_key(settings.namespace))
    finally:
        cache.close()
    running = orjson.loads(raw) if raw else {}
    if running and not running.get("stopped"):
        settings = settings.replace(sim_start=running["clock"])
        if not speed_given:
            settings = settings.replace(sim_speed=float(running["speed"]))
    scenario = load_scenario(name)
    return run(
        settings,
        scenario=name,
        normal_day=False,
        scenario_s=scenario.duration_s,
        clock_name=scenario.name,
    )
