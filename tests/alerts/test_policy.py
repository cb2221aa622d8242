"""Policy: which incidents warrant which tier, from the packaged, cited policy.toml."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from alert_samples import CITY_HALL, NOW

from alerts import AlertContext, PolicyError, Tier, decide, load_policy


def ctx(kind: str, priority: int, **kw: object) -> AlertContext:
    return AlertContext("i", kind, priority, *CITY_HALL, NOW, **kw)  # type: ignore[arg-type]


def test_policy_cites_its_sources(policy):
    for key in ("regulation", "length_bytes", "length_2025", "quiet_hours", "tiers"):
        assert policy.sources[key]
    assert "재난문자방송 기준 및 운영규정" in policy.sources["regulation"]


def test_tiers_map_to_cap(policy):
    assert policy.tiers[Tier.CRITICAL].cap_severity == "Extreme"
    assert policy.tiers[Tier.CRITICAL].approvals_required == 2
    assert policy.tiers[Tier.EMERGENCY].cap_severity == "Severe"
    assert policy.tiers[Tier.SAFETY].quiet_hours is True
    assert policy.tiers[Tier.EMERGENCY].quiet_hours is False
    assert not policy.tiers[Tier.CRITICAL].handset_opt_out  # 위급 cannot be refused (KPAS)
    assert policy.tiers[Tier.SAFETY].handset_opt_out


@pytest.mark.parametrize("kind", ["medical", "cardiac_arrest", "rescue", "other", "unknown"])
def test_individual_emergencies_never_alert(policy, kind):
    assert not decide(ctx(kind, 1, mass_casualty=True), policy).warranted


def test_gas_leak_is_emergency_evacuation(policy):
    d = decide(ctx("gas_leak", 2), policy)
    assert d.warranted and d.tier is not None and d.tier.tier is Tier.EMERGENCY
    assert d.rule.response == "Evacuate" and d.urgent_length


def test_low_priority_gas_leak_is_not_alerted(policy):
    assert not decide(ctx("gas_leak", 5), policy).warranted


def test_fire_needs_priority_or_a_big_smoke_zone(policy):
    assert not decide(ctx("fire", 3), policy, hazard_area_m2=1_000).warranted
    by_area = decide(ctx("fire", 3), policy, hazard_area_m2=80_000)
    assert by_area.warranted and by_area.tier is not None and by_area.tier.tier is Tier.SAFETY
    urgent = decide(ctx("fire", 1), policy)
    assert urgent.tier is not None and urgent.tier.tier is Tier.EMERGENCY


def test_mass_casualty_or_population_escalates_to_critical(policy):
    for kw in (
        {"mass_casualty": True},
        {"population_affected": 60_000},
        {"vulnerable_facilities": 12},
    ):
        d = decide(ctx("fire", 1, **kw), policy)
        assert d.tier is not None and d.tier.tier is Tier.CRITICAL, kw
        assert d.urgent_length


def test_malformed_policy_fails_loudly(tmp_path: Path):
    bad = tmp_path / "p.toml"
    bad.write_text('[tiers.critical]\nlabel_ko = "x"\n', encoding="utf-8")
    with pytest.raises(PolicyError):
        load_policy(bad)


def test_policy_file_round_trips(tmp_path: Path, policy):
    from importlib import resources

    path = tmp_path / "copy.toml"
    path.write_text(resources.files("alerts").joinpath("policy.toml").read_text("utf-8"), "utf-8")
    again = load_policy(path)
    assert dataclasses.asdict(again) == dataclasses.asdict(policy)
