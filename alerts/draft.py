"""Evidence to draft: decide, target, word and de-duplicate one alert (the worker's entry)."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import shapely

from alerts.area import AlertArea, DistrictLike, alert_area
from alerts.dedup import find_duplicate
from alerts.districts import DistrictIndex
from alerts.lifecycle import audited, supersede
from alerts.message import ComposedMessage, compose_all
from alerts.metric import area_m2
from alerts.model import (
    SEOUL_ISSUER,
    Alert,
    AlertContext,
    AlertStatus,
    AuditEntry,
    Issuer,
    MessageInput,
    MsgType,
    Tier,
)
from alerts.phrases import PHRASEBOOKS, Phrasebook
from alerts.policy import Decision, Policy, decide, load_policy
from alerts.public import redact_personal

__all__ = ["DraftOutcome", "alert_id", "draft_alert"]

_TIER_RANK = {Tier.SAFETY: 0, Tier.EMERGENCY: 1, Tier.CRITICAL: 2}


@dataclass(frozen=True)
class DraftOutcome:
    """What drafting decided: 'none', 'new', 'merged' (into an unsent draft) or 'update'."""

    action: str
    decision: Decision
    alert: Alert | None = None
    area: AlertArea | None = None
    duplicate_of: str | None = None


def alert_id(incident_id: str, opened_at: datetime, tier: str, hazard: str) -> str:
    """A stable alert id: the first incident, when it opened, and the tier and hazard drafted.

    Not the drafting time: a worker that re-processes the same evidence after a crash must
    draft the same alert again (idempotent by id), never a second one.
    """
    seed = f"{incident_id}|{opened_at.isoformat()}|{tier}|{hazard}"
    digest = hashlib.sha1(seed.encode()).hexdigest()
    return f"alert-{digest[:16]}"


def draft_alert(
    ctx: AlertContext,
    districts: Sequence[DistrictLike] | DistrictIndex,
    *,
    now: datetime,
    existing: Sequence[Alert] = (),
    policy: Policy | None = None,
    issuer: Issuer = SEOUL_ISSUER,
    languages: Sequence[str] = ("ko", "en"),
    phrasebooks: Mapping[str, Phrasebook] = PHRASEBOOKS,
    actor: str = "system",
    own: Alert | None = None,
) -> DraftOutcome:
    """Draft the public alert an incident warrants, or fold it into a duplicate as an Update.

    ``own`` is the incident's own live alert, if it has one: a change of the incident then
    updates that alert (same id) instead of drafting a second one.
    """
    policy = policy or load_policy()
    hazard_m2 = 0.0  # decide() reads it only for types that may alert
    if ctx.hazard_zone is not None and policy.type_rule(ctx.incident_type).alert:
        hazard_m2 = area_m2(ctx.hazard_zone)
    decision = decide(ctx, policy, hazard_m2)
    if not decision.warranted or decision.tier is None:
        return DraftOutcome("none", decision)
    rule = decision.rule
    radius = ctx.radius_m if ctx.radius_m is not None else rule.default_radius_m
    area = alert_area(ctx.hazard_zone, ctx.lon, ctx.lat, districts, policy, radius_m=radius)
    dup = own or find_duplicate(rule.hazard, area.polygon, ctx.mode, now, existing, policy)
    if dup is not None:
        merged_zone = shapely.union_all([dup.area, area.polygon])
        area = alert_area(merged_zone, ctx.lon, ctx.lat, districts, policy, radius_m=radius)
        if _TIER_RANK[dup.tier] > _TIER_RANK[decision.tier.tier]:
            decision = dataclasses.replace(decision, tier=policy.tiers[dup.tier])
    assert decision.tier is not None
    gu = next((d for d in area.home if d.level == "gu"), None)
    dong = next((d for d in area.home if d.level == "dong"), None)
    place = gu.name if gu else (area.home[0].name if area.home else "서울")
    detail = redact_personal(ctx.place) or (dong.name if dong else "")
    facts = MessageInput(
        hazard=rule.hazard,
        response=rule.response,
        place=place,
        issued_at=now,
        place_detail=detail,
        place_detail_en=redact_personal(ctx.place_en),
        distance_m=ctx.radius_m if ctx.radius_m is not None else max(area.reach_m, radius),
        mode=ctx.mode,
        kind="alert",
        urgent=decision.urgent_length,
    )
    msgs = compose_all(facts, languages, issuer, policy, phrasebooks)
    fresh = _build(ctx, decision, area, msgs, facts, now)
    if dup is None:
        alert = audited(fresh, now, actor, "draft", "; ".join(decision.reasons))
        return DraftOutcome("new", decision, alert, area)
    return _fold(dup, fresh, ctx, decision, area, now, actor)


def _build(
    ctx: AlertContext,
    decision: Decision,
    area: AlertArea,
    msgs: Mapping[str, ComposedMessage],
    facts: MessageInput,
    now: datetime,
) -> Alert:
    tier = decision.tier
    assert tier is not None
    return Alert(
        id=alert_id(ctx.incident_id, ctx.opened_at, tier.tier, decision.rule.hazard),
        incident_id=ctx.incident_id,
        status=AlertStatus.DRAFT,
        tier=tier.tier,
        severity=tier.cap_severity,
        urgency=tier.cap_urgency,
        certainty=tier.cap_certainty,
        response_type=decision.rule.response,
        cap_category=decision.rule.cap_category,
        incident_type=ctx.incident_type,
        hazard=decision.rule.hazard,
        area=area.polygon,
        districts=area.districts,
        headline={k: m.headline for k, m in msgs.items()},
        message={k: m.text for k, m in msgs.items()},
        instruction={k: m.instruction for k, m in msgs.items()},
        event={k: m.event for k, m in msgs.items()},
        issued_at=now,
        expires_at=now + timedelta(seconds=tier.expires_s),
        mode=ctx.mode,
        incident_ids=(ctx.incident_id,),
        overshoot_ratio=area.overshoot_ratio,
        approvals_required=tier.approvals_required,
        facts=facts,
        rule_id=decision.rule.rule_id,
        why="; ".join(decision.reasons),
        evidence=ctx.evidence_summary,
    )


def _fold(
    dup: Alert,
    fresh: Alert,
    ctx: AlertContext,
    decision: Decision,
    area: AlertArea,
    now: datetime,
    actor: str,
) -> DraftOutcome:
    """Fold new evidence into the alert it duplicates: merge a draft, or Update a sent one."""
    ids = tuple(dict.fromkeys((*(dup.incident_ids or (dup.incident_id,)), ctx.incident_id)))
    if dup.status is AlertStatus.SENT:
        base = supersede(dup, now, MsgType.UPDATE)
        action = "update"
    else:
        base = dataclasses.replace(dup, approvals=(), issued_at=now)
        action = "merged"
    content = {
        f.name: getattr(fresh, f.name)
        for f in dataclasses.fields(Alert)
        if f.name in _CONTENT_FIELDS
    }
    out = dataclasses.replace(base, **content, status=AlertStatus.DRAFT, incident_ids=ids)
    if ctx.incident_id in (dup.incident_ids or (dup.incident_id,)):
        detail = f"{ctx.incident_id} changed: {fresh.why} ({fresh.evidence})"
    else:
        detail = f"{ctx.incident_id} folded into {dup.id} (same hazard, overlapping area)"
    folded = _audit_fold(out, now, actor, action, detail)
    return DraftOutcome(action, decision, folded, area, dup.id)


MAX_FOLD_ENTRIES = 20
"""Folds audited one by one in an alert; later ones share one running summary entry (the
incident ids stay complete in ``incident_ids``). In a surge thousands of incidents fold
into one alert, and one entry each grew an alert past the broker's 1 MB record limit."""
FOLD_ACTIONS = frozenset({"merged", "update", "folded"})


def _audit_fold(alert: Alert, at: datetime, actor: str, action: str, detail: str) -> Alert:
    folds = sum(1 for entry in alert.audit if entry.action in FOLD_ACTIONS)
    if folds < MAX_FOLD_ENTRIES:
        return audited(alert, at, actor, action, detail)
    kept = tuple(entry for entry in alert.audit if entry.action != "folded")
    count = len(alert.incident_ids or ()) - 1
    summary = AuditEntry(at, actor, "folded", f"{count} incidents folded in; latest: {detail}")
    return dataclasses.replace(alert, audit=(*kept, summary))


_CONTENT_FIELDS = frozenset(
    {
        "tier",
        "severity",
        "urgency",
        "certainty",
        "response_type",
        "cap_category",
        "area",
        "districts",
        "headline",
        "message",
        "instruction",
        "event",
        "expires_at",
        "overshoot_ratio",
        "approvals_required",
        "facts",
        "hazard",
        "incident_type",
        "rule_id",
        "why",
        "evidence",
    }
)
