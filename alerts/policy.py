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
    """When an incident type warrants a public alert, and how it is worded and sized.

    An incident qualifies when the gate holds (``major_road_only``) and any reach condition
    does: a measurement (``measured_qualifies``), a camera (``camera_qualifies``), enough
    call reports (``min_calls``), a priority (``max_priority``) or a big hazard zone
    (``area_qualifies_m2``). ``who``, ``why`` and ``source`` say whom the message protects,
    how it helps them and where the rule comes from; ``rule_id`` names the rule on drafts.
    """

    incident_type: str
    alert: bool
    rule_id: str = ""
    who: str = ""
    why: str = ""
    source: str = ""
    hazard: str = ""
    max_priority: int = 0
    area_qualifies_m2: float = 0.0
    min_calls: int = 0
    measured_qualifies: bool = False
    camera_qualifies: bool = False
    major_road_only: bool = False
    tier: Tier = Tier.SAFETY
    tier_urgent: Tier = Tier.SAFETY
    urgent_calls: int = 0
    cap_category: str = "Other"
    response: str = "Monitor"
    evacuation: bool = False
    default_radius_m: float = 300.0
    critical_on_mass_casualty: bool = False
    critical_population: int = 0


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
    population_per_km2: float = 0.0
    major_road_min_legal_kph: float = 70.0
    major_road_snap_m: float = 30.0

    def population_in(self, area_m2: float) -> int:
        """People an area of the city holds on average (the policy's density estimate)."""
        return round(area_m2 / 1e6 * self.population_per_km2)

    def length_rule(self, language: str) -> LengthRule:
        """The length rule for a language (the default rule when it has none)."""
        return self.limits.get(language.split("-")[0], self.limits["default"])

    def hazards(self) -> frozenset[str]:
        """The hazards the policy may alert for (what a silence may name)."""
        return frozenset(rule.hazard for rule in self.types.values() if rule.alert)

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
    """Decide whether and at which tier an incident warrants a public alert, and why."""
    rule = policy.type_rule(ctx.incident_type)
    if not rule.alert:
        return Decision(False, (f"type {ctx.incident_type!r}: no public alert by policy",), rule)
    if rule.major_road_only and not ctx.on_major_road:
        return Decision(False, ("not on a major road: no public detour notice",), rule)
    reach = _reach(ctx, rule, hazard_area_m2)
    if not reach:
        return Decision(False, (f"{rule.rule_id}: the hazard has not reached the public",), rule)
    tier = rule.tier
    reasons = list(reach)
    if rule.urgent_calls and ctx.calls >= rule.urgent_calls:
        tier = rule.tier_urgent
        reasons.append(f"{ctx.calls} calls >= {rule.urgent_calls}: {tier.value}")
    critical = []
    if rule.critical_on_mass_casualty and ctx.mass_casualty:
        critical.append("crush in progress (mass casualty)")
    people = ctx.population_affected
    if people is None and hazard_area_m2 > 0:
        people = policy.population_in(hazard_area_m2)
    if rule.critical_population and people is not None and people >= rule.critical_population:
        critical.append(f"about {people} people in the hazard zone >= {rule.critical_population}")
    if critical:
        tier = Tier.CRITICAL
        reasons.append("위급: " + ", ".join(critical))
    return Decision(True, tuple(reasons), rule, policy.tiers[tier])


def _reach(ctx: AlertContext, rule: TypeRule, hazard_area_m2: float) -> list[str]:
    """The conditions by which the hazard reaches the public (empty: it does not)."""
    out = []
    if rule.measured_qualifies and ctx.sensors:
        out.append(f"measured by {ctx.sensors} sensor alarm(s)")
    if rule.camera_qualifies and ctx.cameras:
        out.append(f"seen by {ctx.cameras} camera detection(s)")
    if rule.min_calls and ctx.calls >= rule.min_calls:
        out.append(f"{ctx.calls} calls >= {rule.min_calls}")
    if rule.max_priority and ctx.priority <= rule.max_priority:
        out.append(f"priority {ctx.priority} <= {rule.max_priority}")
    if rule.area_qualifies_m2 and hazard_area_m2 >= rule.area_qualifies_m2:
        out.append(f"hazard zone {hazard_area_m2:.0f} m2 >= {rule.area_qualifies_m2:.0f} m2")
    if rule.critical_on_mass_casualty and ctx.mass_casualty:
        out.append("crush in progress (mass casualty)")
    return out


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
            if not (rule.why and rule.source):
                raise PolicyError(f"type {name}: every rule states why and its source")
            if rule.alert and not (rule.rule_id and rule.who and rule.hazard):
                raise PolicyError(f"type {name}: an alerting rule names its id, who and hazard")
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
            population_per_km2=float(raw["population"]["per_km2"]),
            major_road_min_legal_kph=float(raw["major_road"]["min_legal_kph"]),
            major_road_snap_m=float(raw["major_road"]["snap_m"]),
        )
    except PolicyError:
        raise
    except (KeyError, TypeError, ValueError) as exc:
        raise PolicyError(f"malformed alert policy: {exc!r}") from exc
