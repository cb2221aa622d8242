"""The city's emergency rooms with their designation and capabilities, and the rules that
say what a patient needs (``emergency_rooms.toml``, each rule with its source)."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from dispatch.errors import DispatchError
from geo.model import Facility

__all__ = [
    "CAPABILITIES",
    "CONDITIONS",
    "SEVERITIES",
    "ErRules",
    "Hospital",
    "HospitalError",
    "hospital_id",
    "load_er_rules",
    "registry",
]

CAPABILITIES = ("pci", "stroke", "trauma", "burns", "paediatric", "obstetric")
CONDITIONS = (
    "cardiac_arrest",
    "stemi",
    "stroke",
    "major_trauma",
    "burns",
    "paediatric",
    "obstetric",
    "medical",
    "minor",
)
SEVERITIES = ("critical", "serious", "minor")
UNDESIGNATED_RANK = 4
"""An ER whose designation the data does not give ranks with 응급실운영신고기관."""


class HospitalError(DispatchError):
    """The emergency-room rules are invalid."""


@dataclass(frozen=True, slots=True)
class Hospital:
    """One emergency room: its ``hpid``, name, designation and designated capabilities."""

    id: str
    name: str
    level: str
    rank: int
    """1 권역응급의료센터 … 4 응급실운영신고기관 (lower is more capable)."""
    lon: float
    lat: float
    capabilities: frozenset[str]


@dataclass(frozen=True, slots=True)
class ErRules:
    """How emergency rooms are trusted and chosen (see ``emergency_rooms.toml``)."""

    stale_after_s: float
    level_ranks: Mapping[str, int]
    level_capabilities: Mapping[str, frozenset[str]]
    hospital_capabilities: Mapping[str, frozenset[str]]
    needs: Mapping[str, tuple[str, ...]]
    max_rank: Mapping[str, int]
    penalty_s_per_incoming: float
    mci_min_patients: int
    spread_penalty_s: float
    minor_at_centre_penalty_s: float
    untriaged_split: Mapping[str, float]
    arrival_z: float
    divert_z: float
    """The bar below which a patient on its way loses its bed (``dispatch.diversion``)."""
    max_diversions: int
    arrival_weight: float
    prior_var_per_s: float
    min_interval_s: float

    def needs_of(self, condition: str) -> tuple[str, ...]:
        """The capabilities a patient of ``condition`` needs (unknown conditions need none)."""
        return self.needs.get(condition, ())


def hospital_id(facility_id: str) -> str:
    """The ``hpid`` of a city facility id (``ER-A1100011`` → ``A1100011``).

    >>> hospital_id("ER-A1100011")
    'A1100011'
    """
    return facility_id.removeprefix("ER-")


def registry(facilities: Iterable[Facility], rules: ErRules) -> dict[str, Hospital]:
    """The emergency rooms among a city's facilities, by hospital id, with capabilities."""
    out: dict[str, Hospital] = {}
    for f in facilities:
        if f.kind != "emergency_room":
            continue
        hid = hospital_id(f.id)
        caps = rules.level_capabilities.get(f.level, frozenset())
        caps |= rules.hospital_capabilities.get(hid, frozenset())
        rank = rules.level_ranks.get(f.level, UNDESIGNATED_RANK)
        out[hid] = Hospital(hid, f.name, f.level, rank, f.lon, f.lat, caps)
    return out


def _caps(values: Any, where: str) -> frozenset[str]:
    if not isinstance(values, list) or not set(values) <= set(CAPABILITIES):
        raise HospitalError(f"{where}: capabilities must be a list of {CAPABILITIES}")
    return frozenset(values)


def parse_er_rules(data: Mapping[str, Any]) -> ErRules:
    """Rules from the parsed TOML; :class:`HospitalError` names what is wrong."""
    try:
        levels = data["levels"]
        needs = {c: tuple(_caps(v, f"needs.{c}")) for c, v in data["needs"].items()}
        if set(needs) != set(CONDITIONS):
            raise HospitalError(f"needs must list every condition {CONDITIONS}")
        max_rank = {s: int(data["max_rank"][s]) for s in SEVERITIES}
        mci = data["mass_casualty"]
        split = {s: float(mci["untriaged_split"][s]) for s in SEVERITIES}
        if abs(sum(split.values()) - 1.0) > 1e-6:
            raise HospitalError("mass_casualty.untriaged_split must add up to 1")
        return ErRules(
            stale_after_s=float(data["stale_after_s"]),
            level_ranks={name: int(v["rank"]) for name, v in levels.items()},
            level_capabilities={
                name: _caps(v["capabilities"], f"levels.{name}") for name, v in levels.items()
            },
            hospital_capabilities={
                hid: _caps(v["capabilities"], f"hospitals.{hid}")
                for hid, v in data.get("hospitals", {}).items()
            },
            needs=needs,
            max_rank=max_rank,
            penalty_s_per_incoming=float(data["load"]["penalty_s_per_incoming"]),
            mci_min_patients=int(mci["min_patients"]),
            spread_penalty_s=float(mci["spread_penalty_s"]),
            minor_at_centre_penalty_s=float(mci["minor_at_centre_penalty_s"]),
            untriaged_split=split,
            arrival_z=float(data["arrival"]["z"]),
            divert_z=float(data["arrival"]["divert_z"]),
            max_diversions=int(data["arrival"]["max_diversions"]),
            arrival_weight=float(data["arrival"]["weight"]),
            prior_var_per_s=float(data["arrival"]["prior_bed_sd_per_10_min"]) ** 2 / 600.0,
            min_interval_s=float(data["arrival"]["min_interval_s"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise HospitalError(f"emergency-room rules incomplete or invalid: {exc!r}") from exc


def load_er_rules(path: Path | None = None) -> ErRules:
    """The emergency-room rules from a TOML file (the packaged ones when path is None)."""
    try:
        if path is None:
            text = resources.files("dispatch").joinpath("emergency_rooms.toml").read_text("utf-8")
        else:
            text = path.read_text(encoding="utf-8")
        return parse_er_rules(tomllib.loads(text))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise HospitalError(f"cannot read emergency-room rules: {exc}") from exc
