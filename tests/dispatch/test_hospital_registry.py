"""The emergency-room registry: Seoul's ERs with their levels from the shipped city pack,
capabilities by designation, and rules that refuse to load incomplete."""

from __future__ import annotations

from pathlib import Path

import pytest

from dispatch.hospitals import (
    CAPABILITIES,
    CONDITIONS,
    SEVERITIES,
    HospitalError,
    load_er_rules,
    registry,
)
from geo import load_city
from stack.settings import SEOUL_PACK
from streams.contract.hospitals import Capability, PatientCondition, PatientSeverity, SeverityCounts

RULES = load_er_rules()


def test_seoul_registry_from_the_shipped_pack() -> None:
    hospitals = registry(load_city(SEOUL_PACK).facilities, RULES)
    assert len(hospitals) == 75
    levels = [h.level for h in hospitals.values()]
    assert levels.count("권역응급의료센터") == 7 and levels.count("지역응급의료센터") == 24
    nmc = hospitals["A1100052"]
    assert nmc.name == "국립중앙의료원" and "trauma" in nmc.capabilities
    assert "burns" in hospitals["A1100038"].capabilities
    assert sum("pci" in h.capabilities for h in hospitals.values()) == 31


def test_the_grid_city_has_one_er_of_each_designation() -> None:
    hospitals = registry(load_city(None).facilities, RULES)
    assert sorted(h.rank for h in hospitals.values()) == [1, 2, 3]


def test_rules_missing_a_condition_are_refused(tmp_path: Path) -> None:
    text = (Path(__file__).resolve().parents[2] / "dispatch" / "emergency_rooms.toml").read_text()
    broken = tmp_path / "er.toml"
    broken.write_text(text.replace('stemi = ["pci"]\n', ""), encoding="utf-8")
    with pytest.raises(HospitalError, match="every condition"):
        load_er_rules(broken)


def test_the_rules_know_exactly_the_contract_s_capabilities_conditions_and_severities() -> None:
    # the rules validate their TOML against these lists; the contract validates the topics
    assert set(CAPABILITIES) == {c.value for c in Capability}
    assert set(CONDITIONS) == {c.value for c in PatientCondition}
    assert set(SEVERITIES) == {s.value for s in PatientSeverity}
    assert set(SeverityCounts.model_fields) == set(SEVERITIES)
