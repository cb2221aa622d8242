"""Policy: which incidents warrant which tier, from the packaged, cited policy.toml.

위급 only for hazards to the public at large; never for an individual emergency however
many patients; a road crash at most a 안전안내 detour notice on a major road."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from alert_samples import CITY_HALL, NOW

from alerts import AlertContext, PolicyError, Tier, decide, load_policy
from streams.contract import IncidentType


def ctx(kind: str, priority: int, **kw: object) -> AlertContext:
    return AlertContext("i", kind, priority, *CITY_HALL, NOW, **kw)  # type: ignore[arg-type]


def tier_of(policy, kind: str, priority: int = 1, area_m2: float = 0.0, **kw: object):
    d = decide(ctx(kind, priority, **kw), policy, hazard_area_m2=area_m2)
    return d.tier.tier if d.warranted and d.tier is not None else None


EVERYTHING = {"calls": 60, "sensors": 5, "cameras": 5, "patients": 40, "mass_casualty": True}
"""Every signal an incident can carry, at its strongest."""


def test_policy_cites_its_sources(policy):
    for key in ("regulation", "length_bytes", "length_2025", "quiet_hours", "tiers", "purpose"):
        assert policy.sources[key]
    assert "재난문자방송 기준 및 운영규정" in policy.sources["regulation"]


def test_every_incident_type_has_a_rule_that_says_why_with_a_source(policy):
    for kind in IncidentType:
        rule = policy.types.get(kind.value)
        assert rule is not None, f"no rule for {kind.value}"
        assert rule.why and rule.source, kind
        if rule.alert:
            assert rule.who and rule.rule_id.startswith(kind.value), kind


def test_a_rule_without_its_reason_is_refused(tmp_path: Path):
    from importlib import resources

    text = resources.files("alerts").joinpath("policy.toml").read_text("utf-8")
    bad = tmp_path / "p.toml"
    bad.write_text(
        text.replace(
            'why = "an individual emergency: only the patient is at risk, and no public action '
            'helps"\n',
            "",
        ),
        "utf-8",
    )
    with pytest.raises(PolicyError, match="why"):
        load_policy(bad)


def test_tiers_map_to_cap(policy):
    assert policy.tiers[Tier.CRITICAL].cap_severity == "Extreme"
    assert policy.tiers[Tier.CRITICAL].approvals_required == 2
    assert policy.tiers[Tier.EMERGENCY].cap_severity == "Severe"
    assert policy.tiers[Tier.SAFETY].quiet_hours is True
    assert policy.tiers[Tier.EMERGENCY].quiet_hours is False
    assert not policy.tiers[Tier.CRITICAL].handset_opt_out  # 위급 cannot be refused (KPAS)
    assert policy.tiers[Tier.SAFETY].handset_opt_out


@pytest.mark.parametrize("kind", ["medical", "cardiac_arrest", "rescue", "other", "unknown"])
def test_individual_emergencies_never_alert_however_many_patients(policy, kind):
    assert tier_of(policy, kind, **EVERYTHING) is None


def test_no_individual_emergency_or_road_crash_is_ever_critical(policy):
    for kind in IncidentType:
        if kind.value in ("crowd", "gas_leak", "hazmat", "flood", "collapse"):
            continue
        for road in (False, True):
            got = tier_of(policy, kind.value, area_m2=10e6, on_major_road=road, **EVERYTHING)
            assert got is not Tier.CRITICAL, kind


def test_a_road_crash_with_six_patients_drafts_nothing_off_a_major_road(policy):
    assert tier_of(policy, "traffic", patients=6, mass_casualty=True, calls=4) is None


def test_a_blocked_major_road_drafts_only_a_safety_detour_notice(policy):
    crash = {"patients": 6, "mass_casualty": True, "calls": 4, "on_major_road": True}
    assert tier_of(policy, "traffic", **crash) is Tier.SAFETY
    assert tier_of(policy, "traffic", 3, calls=1, on_major_road=True) is None  # one car, one call


def test_a_measured_gas_leak_is_an_emergency_evacuation(policy):
    d = decide(ctx("gas_leak", 2, sensors=1), policy)
    assert d.warranted and d.tier is not None and d.tier.tier is Tier.EMERGENCY
    assert d.rule.response == "Evacuate" and d.urgent_length
    assert "1 sensor alarm" in " ".join(d.reasons)


def test_one_callers_chemical_smell_is_a_dispatch_not_a_public_alert(policy):
    assert tier_of(policy, "hazmat", 2, calls=1) is None
    assert tier_of(policy, "hazmat", 1, calls=5) is Tier.EMERGENCY
    assert tier_of(policy, "hazmat", 2, calls=1, sensors=1) is Tier.EMERGENCY


def test_a_toxic_release_over_many_people_is_critical(policy):
    per_km2 = policy.population_per_km2
    small, large = 0.2e6, 10_000 / per_km2 * 1e6 + 1
    assert tier_of(policy, "hazmat", sensors=1, area_m2=small) is Tier.EMERGENCY
    assert tier_of(policy, "hazmat", sensors=1, area_m2=large) is Tier.CRITICAL
    assert tier_of(policy, "flood", sensors=1, area_m2=large) is Tier.CRITICAL


def test_a_fire_alerts_only_when_its_smoke_or_size_reaches_the_public(policy):
    assert tier_of(policy, "fire", 1, calls=4, cameras=3, sensors=2, patients=8) is None
    assert tier_of(policy, "fire", 1, calls=10) is Tier.SAFETY
    assert tier_of(policy, "fire", 3, area_m2=80_000) is Tier.SAFETY
    assert tier_of(policy, "fire", 1, calls=20) is Tier.EMERGENCY


def test_only_a_crush_in_progress_makes_a_crowd_critical(policy):
    assert tier_of(policy, "crowd", 1, calls=4, cameras=2) is None
    assert tier_of(policy, "crowd", 1, calls=5, mass_casualty=True) is Tier.CRITICAL


def test_a_flood_needs_water_where_the_public_goes(policy):
    assert tier_of(policy, "flood", 3, calls=1) is None
    for seen in ({"calls": 3}, {"cameras": 1}, {"sensors": 1}):
        assert tier_of(policy, "flood", 3, **seen) is Tier.EMERGENCY, seen


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
