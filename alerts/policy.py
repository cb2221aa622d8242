"""Alert policy: which incidents warrant a public alert and at which tier (policy.toml)."""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from alerts.errors import PolicyError
from alerts.model import AlertContext, Tier

__all__ = [
    "Decision",
    "LengthRule",
    "Policy",
    "TierRule",
    "TypeRule",
    "decide",
    "load_policy",
]

_CAP_CATEGORIES = {
    "Geo",
    "Met",
    "Safety",
    "Security",
    "Rescue",
    "Fire",
    "Health",
    "Env",
    "Transport",
    "Infra",
    "CBRNE",
    "Other",
}
_CAP_RESPONSES = {
    "Shelter",
    "Evacuate",
    "Prepare",
    "Execute",
    "Avoid",
    "Monitor",
    "Assess",
    "AllClear",
    "None",
}


@dataclass(frozen=True)
class TierRule:
    """How a tier maps to CAP and what safety rules apply to it."""

    tier: Tier
    label_ko: str
    label_en: str
    cap_severity: str
    cap_urgency: str
    cap_certainty: str
    approvals_required: int
    quiet_hours: bool
    rate_limited: bool
    expires_s: int
    handset_opt_out: bool = True


@dataclass(frozen=True)
class TypeRule:
    """When an incident type warrants a public alert, and how it is worded and sized."""

    incident_type: str
    alert: bool
    hazard: str = ""
    max_priority: int = 0
    area_qualifies_m2: float = 0.0
    tier: Tier = Tier.SAFETY
    tier_urgent: Tier = Tier.SAFETY
    urgent_priority: int = 0
    cap_category: str = "Other"
    response: str = "Monitor"
    evacuation: bool = False
    default_radius_m: float = 300.0
    critical_population: int = 10**12
    critical_facilities: int = 10**12


@dataclass(frozen=True)
class LengthRule:
    """A message length limit for one language: unit and urgent/normal limits."""

    unit: str
    urgent: int
    normal: int

    def limit(self, urgent: bool) -> int:
        """The limit that applies."""
        return self.urgent if urgent else self.normal


@dataclass(frozen=True)
class Policy:
    """The whole alert policy as one frozen value."""

    tiers: dict[Tier, TierRule]
    types: dict[str, TypeRule]
    limits: dict[str, LengthRule]
    quiet_start_hour: int
    quiet_end_hour: int
    dedup_window_s: float
    dedup_min_overlap_ratio: float
    rate_window_s: float
    rate_max_per_district: int
    min_radius_m: float
    simplify_tolerance_m: float
    max_vertices: int
    district_min_overlap_m2: float
    sources: dict[str, str]

    def length_rule(self, language: str) -> LengthRule:
        """The length rule for a language (the default rule when it has none)."""
        return self.limits.get(language.split("-")[0], self.limits["default"])

    def type_rule(self, incident_type: str) -> TypeRule:
        """The rule for an incident type; unknown types never alert."""
        return self.types.get(incident_type, TypeRule(incident_type, alert=False))


@dataclass(frozen=True)
class Decision:
    """Whether an incident warrants a public alert, at which tier, and why."""

    warranted: bool
    reasons: tuple[str, ...]
    rule: TypeRule
    tier: TierRule | None = None

    @property
    def urgent_length(self) -> bool:
        """True when the short (90자) limit applies: evacuation or 위급."""
        return self.tier is not None and (self.rule.evacuation or self.tier.tier is Tier.CRITICAL)


def decide(ctx: AlertContext, policy: Policy, hazard_area_m2: float = 0.0) -> Decision:
    """Decide whether and at which tier an incident warrants a public alert."""
    rule = policy.type_rule(ctx.incident_type)
    if not rule.alert:
        return Decision(False, (f"type {ctx.incident_type!r}: no public alert by policy",), rule)
    reasons: list[str] = []
    by_priority = ctx.priority <= rule.max_priority
    by_area = rule.area_qualifies_m2 > 0 and hazard_area_m2 >= rule.area_qualifies_m2
    if not (by_priority or by_area or ctx.mass_casualty):
        return Decision(
            False,
            (
                f"priority {ctx.priority} > {rule.max_priority} and hazard zone "
                f"{hazard_area_m2:.0f} m2 below {rule.area_qualifies_m2:.0f} m2",
            ),
            rule,
        )
    if by_priority:
        reasons.append(f"priority {ctx.priority} <= {rule.max_priority}")
    if by_area:
        reasons.append(f"hazard zone {hazard_area_m2:.0f} m2 >= {rule.area_qualifies_m2:.0f} m2")
    tier = rule.tier_urgent if ctx.priority <= rule.urgent_priority else rule.tier
    if ctx.priority <= rule.urgent_priority:
        reasons.append(f"priority {ctx.priority} <= {rule.urgent_priority}: {tier.value}")
    critical = []
    if ctx.mass_casualty:
        critical.append("mass casualty")
    if ctx.population_affected is not None and ctx.population_affected >= rule.critical_population:
        critical.append(f"population {ctx.population_affected} >= {rule.critical_population}")
    if ctx.vulnerable_facilities >= rule.critical_facilities:
        critical.append(f"facilities {ctx.vulnerable_facilities} >= {rule.critical_facilities}")
    if critical:
        tier = Tier.CRITICAL
        reasons.append("위급: " + ", ".join(critical) + " (source critical_local)")
    return Decision(True, tuple(reasons), rule, policy.tiers[tier])


def load_policy(path: Path | None = None) -> Policy:
    """Read a policy TOML (the packaged alerts/policy.toml when path is None)."""
    if path is None:
        return _packaged_policy()
    return _parse(tomllib.loads(path.read_text(encoding="utf-8")))


@functools.cache
def _packaged_policy() -> Policy:
    text = resources.files("alerts").joinpath("policy.toml").read_text(encoding="utf-8")
    return _parse(tomllib.loads(text))


def _parse(raw: dict[str, Any]) -> Policy:
    try:
        tiers = {
            Tier(name): TierRule(tier=Tier(name), **body) for name, body in raw["tiers"].items()
        }
        types: dict[str, TypeRule] = {}
        for name, body in raw["types"].items():
            fields = dict(body)
            for key in ("tier", "tier_urgent"):
                if key in fields:
                    fields[key] = Tier(fields[key])
            rule = TypeRule(incident_type=name, **fields)
            if rule.cap_category not in _CAP_CATEGORIES or rule.response not in _CAP_RESPONSES:
                raise PolicyError(f"type {name}: bad CAP category or response")
            types[name] = rule
        limits = {lang: LengthRule(**body) for lang, body in raw["limits"].items()}
        if set(tiers) != set(Tier) or "default" not in limits:
            raise PolicyError("policy must define every tier and a default length limit")
        area = raw["area"]
        return Policy(
            tiers=tiers,
            types=types,
            limits=limits,
            quiet_start_hour=int(raw["quiet_hours"]["start_hour_kst"]),
            quiet_end_hour=int(raw["quiet_hours"]["end_hour_kst"]),
            dedup_window_s=float(raw["dedup"]["window_s"]),
            dedup_min_overlap_ratio=float(raw["dedup"]["min_overlap_ratio"]),
            rate_window_s=float(raw["rate_limit"]["window_s"]),
            rate_max_per_district=int(raw["rate_limit"]["max_alerts_per_district"]),
            min_radius_m=float(area["min_radius_m"]),
            simplify_tolerance_m=float(area["simplify_tolerance_m"]),
            max_vertices=int(area["max_vertices"]),
            district_min_overlap_m2=float(area["district_min_overlap_m2"]),
            sources=dict(raw.get("sources", {})),
        )
    except PolicyError:
        raise
    except (KeyError, TypeError, ValueError) as exc:
        raise PolicyError(f"malformed alert policy: {exc!r}") from exc
