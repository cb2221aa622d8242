"""Closure rules: how a structure's readings rank against the thresholds of its kind
(``closure_rules.toml``, each value with its source), and what state that advises.

Pure: plain values in, plain values out.

>>> rules = load_closure_rules()
>>> rules.level("underpass", "water_level", 0.07)
1
>>> rules.level("underpass", "water_level", 0.15)
2
>>> rules.level("bridge", "water_level", 3.0) is None
True
>>> rules.level("underpass", "river_level", 7.9, alarm_level=8.5)
1
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ADVISED", "ClosureRules", "Threshold", "load_closure_rules"]

RULES_PATH = Path(__file__).with_name("closure_rules.toml")
ADVISED = ("open", "watch", "closure_recommended")
"""The state readings advise, by level (0, 1, 2)."""


@dataclass(frozen=True, slots=True)
class Threshold:
    """The levels of one sensor kind on one structure kind (None: that level is not used)."""

    unit: str
    watch_at: float | None
    close_at: float | None
    watch_below_m: float | None = None
    """Set for a threshold relative to the alarm level a sensor reports (``for_alarm``)."""

    def for_alarm(self, alarm_level: float | None) -> Threshold | None:
        """The absolute threshold of one reading: itself, or, when relative, closing at the
        sensor's own alarm level and watching ``watch_below_m`` under it (None without
        one)."""
        if self.watch_below_m is None:
            return self
        if alarm_level is None:
            return None
        return Threshold(self.unit, alarm_level - self.watch_below_m, alarm_level)

    def level(self, value: float) -> int:
        """0 under every level, 1 at or above watch_at, 2 at or above close_at."""
        if self.close_at is not None and value >= self.close_at:
            return 2
        if self.watch_at is not None and value >= self.watch_at:
            return 1
        return 0


@dataclass(frozen=True, slots=True)
class ClosureRules:
    """Thresholds by (structure kind, sensor kind)."""

    thresholds: dict[tuple[str, str], Threshold]

    def threshold(self, structure_kind: str, sensor_kind: str) -> Threshold | None:
        """The threshold a reading is judged on, None when the rules say nothing of it."""
        return self.thresholds.get((structure_kind, sensor_kind))

    def level(
        self, structure_kind: str, sensor_kind: str, value: float, alarm_level: float | None = None
    ) -> int | None:
        """The level of one reading (0, 1, 2), None when no rule covers it."""
        rule = self.threshold(structure_kind, sensor_kind)
        rule = rule.for_alarm(alarm_level) if rule is not None else None
        return None if rule is None else rule.level(value)


def load_closure_rules(path: Path = RULES_PATH) -> ClosureRules:
    """The closure rules of a TOML file (default: the cited ones beside this module)."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    out: dict[tuple[str, str], Threshold] = {}
    for structure_kind, sensors in data.items():
        for sensor_kind, rule in sensors.items():
            if rule.get("relative_to_alarm"):
                below = float(rule["watch_below_m"])
                out[(structure_kind, sensor_kind)] = Threshold(str(rule["unit"]), None, None, below)
                continue
            watch, close = rule.get("watch_at"), rule.get("close_at")
            if watch is None and close is None:
                raise ValueError(f"{structure_kind}.{sensor_kind}: no watch_at or close_at")
            if watch is not None and close is not None and watch > close:
                raise ValueError(f"{structure_kind}.{sensor_kind}: watch_at above close_at")
            out[(structure_kind, sensor_kind)] = Threshold(
                str(rule["unit"]),
                None if watch is None else float(watch),
                None if close is None else float(close),
            )
    return ClosureRules(out)
