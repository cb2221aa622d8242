"""Run cards: what an incident type and priority needs, its golden time, escalation."""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from dispatch.errors import RunCardError

__all__ = [
    "INCIDENT_TYPES",
    "UNIT_KINDS",
    "IncidentType",
    "MassCasualtyRule",
    "RunCard",
    "RunCardBook",
    "load_run_cards",
    "parse_run_cards",
]

UNIT_KINDS = ("engine", "ladder", "ambulance", "rescue", "hazmat", "command")
INCIDENT_TYPES = (
    "fire",
    "medical",
    "cardiac_arrest",
    "rescue",
    "traffic",
    "hazmat",
    "gas_leak",
    "flood",
    "collapse",
    "crowd",
    "structural",
    "earthquake",
    "other",
)
PRIORITIES = (1, 2, 3, 4, 5)
FALLBACK_TYPE = "other"

UnitCounts = tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class RunCard:
    """The units one incident needs, in the order they are filled, and its golden time."""

    incident_type: str
    priority: int
    units: UnitCounts
    golden_time_s: float
    clock_stoppers: frozenset[str]
    substitutes: tuple[tuple[str, tuple[str, ...]], ...] = ()
    alarm_level: int = 0
    patients: int = 0
    notes: tuple[str, ...] = ()

    def count(self, kind: str) -> int:
        """How many units of a kind the card asks for."""
        return sum(n for k, n in self.units if k == kind)

    def substitutes_for(self, kind: str) -> tuple[str, ...]:
        """Kinds that may respond first or stand in for a kind, best first."""
        return next((subs for k, subs in self.substitutes if k == kind), ())

    @property
    def total_units(self) -> int:
        """Number of units on the card."""
        return sum(n for _, n in self.units)


@dataclass(frozen=True)
class MassCasualtyRule:
    """Ambulances scaled by patients; a command unit from a patient count on."""

    patients_per_ambulance: int = 1
    max_ambulances: int = 30
    command_from_patients: int = 5

    def ambulances_for(self, patients: int) -> int:
        """Ambulances needed for a number of patients (0 when no patients are reported)."""
        if patients <= 0:
            return 0
        return min(self.max_ambulances, math.ceil(patients / self.patients_per_ambulance))


@dataclass(frozen=True)
class IncidentType:
    """One incident type: golden time with its source, who stops the clock, cards per priority."""

    name: str
    golden_time_s: float
    source: str
    clock_stoppers: frozenset[str]
    substitutes: tuple[tuple[str, tuple[str, ...]], ...]
    cards: Mapping[int, UnitCounts] = field(repr=False)


def _add_counts(base: UnitCounts, extra: Mapping[str, int]) -> UnitCounts:
    merged = dict(base)
    for kind, n in extra.items():
        merged[kind] = merged.get(kind, 0) + n
    return tuple((k, n) for k, n in merged.items() if n > 0)


@dataclass(frozen=True)
class RunCardBook:
    """Every incident type's cards, alarm levels and the mass-casualty rule."""

    types: Mapping[str, IncidentType]
    alarm_levels: Mapping[int, UnitCounts]
    mass_casualty: MassCasualtyRule
    automatic_priorities: frozenset[int] = frozenset()

    def is_automatic(self, priority: int) -> bool:
        """Whether a recommendation of this priority is assigned without a dispatcher."""
        return priority in self.automatic_priorities

    def golden_time_s(self, incident_type: str) -> float:
        """Golden time of a type (the fallback type's when the type is unknown)."""
        return self._type(incident_type).golden_time_s

    def _type(self, incident_type: str) -> IncidentType:
        return self.types.get(incident_type) or self.types[FALLBACK_TYPE]

    def card_for(
        self, incident_type: str, priority: int, *, patients: int = 0, alarm_level: int = 0
    ) -> RunCard:
        """The run card for an incident, scaled for patients and escalated to an alarm level."""
        if priority not in PRIORITIES:
            raise RunCardError(f"priority {priority} is not one of {PRIORITIES}")
        if alarm_level and alarm_level not in self.alarm_levels:
            raise RunCardError(f"alarm level {alarm_level} is not configured")
        itype = self._type(incident_type)
        notes: list[str] = []
        if itype.name != incident_type:
            notes.append(f"unknown type {incident_type!r}: using the {FALLBACK_TYPE!r} card")
        units = itype.cards[priority]
        if alarm_level:
            units = _add_counts(units, dict(self.alarm_levels[alarm_level]))
            notes.append(f"escalated to alarm level {alarm_level}")
        rule = self.mass_casualty
        wanted = rule.ambulances_for(patients)
        have = dict(units).get("ambulance", 0)
        if wanted > have:
            units = _add_counts(units, {"ambulance": wanted - have})
            notes.append(f"{patients} patients: {wanted} ambulances")
        if patients >= rule.command_from_patients and not dict(units).get("command"):
            units = _add_counts(units, {"command": 1})
            notes.append(f"{patients} patients: mass casualty, command unit added")
        return RunCard(
            incident_type=itype.name,
            priority=priority,
            units=units,
            golden_time_s=itype.golden_time_s,
            clock_stoppers=itype.clock_stoppers,
            substitutes=itype.substitutes,
            alarm_level=alarm_level,
            patients=patients,
            notes=tuple(notes),
        )


def _counts(where: str, raw: Any) -> UnitCounts:
    if not isinstance(raw, Mapping):
        raise RunCardError(f"{where}: expected a table of kind = count")
    out: list[tuple[str, int]] = []
    for kind, n in raw.items():
        if kind not in UNIT_KINDS:
            raise RunCardError(f"{where}: unknown unit kind {kind!r}")
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            raise RunCardError(f"{where}: count of {kind} must be a non-negative integer")
        out.append((kind, n))
    return tuple(out)


def _kinds(where: str, raw: Any) -> tuple[str, ...]:
    if not isinstance(raw, list) or any(not isinstance(k, str) or k not in UNIT_KINDS for k in raw):
        raise RunCardError(f"{where}: expected a list of unit kinds from {UNIT_KINDS}")
    return tuple(raw)


def _table(where: str, raw: Any) -> Mapping[str, Any]:
    if not isinstance(raw, Mapping):
        raise RunCardError(f"{where}: expected a table")
    return raw


def _int(where: str, raw: Any, low: int) -> int:
    if not isinstance(raw, int) or isinstance(raw, bool) or raw < low:
        raise RunCardError(f"{where} must be an integer of at least {low}")
    return raw


def _incident_type(name: str, raw: Any) -> IncidentType:
    raw = _table(f"types.{name}", raw)
    gt = raw.get("golden_time_s")
    if not isinstance(gt, int | float) or isinstance(gt, bool) or not 0 < gt < math.inf:
        raise RunCardError(f"types.{name}.golden_time_s must be a positive number")
    if not isinstance(raw.get("source"), str) or not raw["source"]:
        raise RunCardError(f"types.{name}.source must say where the golden time comes from")
    subs_raw = _table(f"types.{name}.substitutes", raw.get("substitutes", {}))
    subs = tuple((k, _kinds(f"types.{name}.substitutes.{k}", v)) for k, v in subs_raw.items())
    cards_raw = _table(f"types.{name}.cards", raw.get("cards", {}))
    cards: dict[int, UnitCounts] = {}
    for p in PRIORITIES:
        if str(p) not in cards_raw:
            raise RunCardError(f"types.{name}.cards.{p} is missing")
        cards[p] = _counts(f"types.{name}.cards.{p}", cards_raw[str(p)])
    return IncidentType(
        name=name,
        golden_time_s=float(gt),
        source=raw["source"],
        clock_stoppers=frozenset(_kinds(f"types.{name}.clock_stoppers", raw.get("clock_stoppers"))),
        substitutes=subs,
        cards=cards,
    )


def parse_run_cards(data: Mapping[str, Any]) -> RunCardBook:
    """Validate a parsed run-card document and build the book."""
    types_raw = _table("types", data.get("types", {}))
    missing = [t for t in INCIDENT_TYPES if t not in types_raw]
    if missing:
        raise RunCardError(f"run cards lack incident types: {', '.join(missing)}")
    types = {name: _incident_type(name, raw) for name, raw in types_raw.items()}
    levels: dict[int, UnitCounts] = {}
    for level, raw in _table("alarm_levels", data.get("alarm_levels", {})).items():
        if not str(level).isdigit():
            raise RunCardError(f"alarm_levels.{level}: levels are numbered 1, 2, 3 …")
        levels[int(level)] = _counts(f"alarm_levels.{level}", raw)
    mc = _table("mass_casualty", data.get("mass_casualty", {}))
    rule = MassCasualtyRule(
        patients_per_ambulance=_int(
            "mass_casualty.patients_per_ambulance", mc.get("patients_per_ambulance", 1), 1
        ),
        max_ambulances=_int("mass_casualty.max_ambulances", mc.get("max_ambulances", 30), 1),
        command_from_patients=_int(
            "mass_casualty.command_from_patients", mc.get("command_from_patients", 5), 1
        ),
    )
    assignment = _table("assignment", data.get("assignment", {}))
    auto = assignment.get("automatic_priorities", [])
    if not isinstance(auto, list) or any(
        not isinstance(p, int) or isinstance(p, bool) or p not in PRIORITIES for p in auto
    ):
        raise RunCardError(f"assignment.automatic_priorities must list priorities {PRIORITIES}")
    return RunCardBook(
        types=types, alarm_levels=levels, mass_casualty=rule, automatic_priorities=frozenset(auto)
    )


def load_run_cards(path: Path | None = None) -> RunCardBook:
    """Load run cards from a TOML file (the packaged defaults when path is None)."""
    try:
        if path is None:
            text = resources.files("dispatch").joinpath("run_cards.toml").read_text("utf-8")
        else:
            text = path.read_text(encoding="utf-8")
        return parse_run_cards(tomllib.loads(text))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise RunCardError(f"cannot read run cards: {exc}") from exc
