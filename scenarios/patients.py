"""Simulated patients: the condition and severity a crew finds on contact, drawn by the
incident's type from ``patients.toml`` (shares and their sources there)."""

from __future__ import annotations

import random
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

__all__ = ["PatientDraw", "draw_patient", "load_patients_config"]


@dataclass(frozen=True, slots=True)
class PatientDraw:
    """What the crew reports on contact."""

    condition: str
    severity: str

    def as_contract(self) -> dict[str, Any]:
        """The ``patient`` field of a unit status."""
        return {"condition": self.condition, "severity": self.severity, "count": 1}


@cache
def load_patients_config() -> dict[str, Any]:
    """The packaged ``patients.toml``."""
    text = resources.files("scenarios").joinpath("patients.toml").read_text("utf-8")
    data = tomllib.loads(text)
    for kind, rows in data["conditions"].items():
        if abs(sum(share for _, _, share in rows) - 1.0) > 1e-6:
            raise ValueError(f"patients.toml: conditions.{kind} shares must add up to 1")
    return data


def draw_patient(incident_type: str, rng: random.Random) -> PatientDraw:
    """A patient of an incident of ``incident_type`` (unknown types as ``other``)."""
    table = load_patients_config()["conditions"]
    rows = table.get(incident_type) or table["other"]
    pick = rng.random()
    for condition, severity, share in rows:
        pick -= share
        if pick < 0:
            return PatientDraw(condition, severity)
    condition, severity, _ = rows[-1]
    return PatientDraw(condition, severity)
