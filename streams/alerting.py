"""Public alerts in the follow-up stage: a draft within seconds of qualifying evidence, then
the dispatchers' approvals, sending, cancelling and the all-clear, each published on ``alerts``.

The decisions are the ``alerts`` package's; this module stores alert states in the stage's
tables and turns refusals (one approval for a 위급 alert, a test alert to a live channel…)
into readable dead-letter reasons for the command that asked. An incident has at most one
live alert: a change of the incident updates it (same id), an incident that ends or no longer
warrants one withdraws its unapproved draft, and a supervisor's silence withdraws the drafts
it covers (each withdrawal a record that says why).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import MutableMapping
from datetime import datetime
from typing import Any

import numpy as np
import orjson

from alerts import (
    SEOUL_ISSUER,
    AlertError,
    DistrictIndex,
    LiveChannelError,
    Mode,
    QuietHoursError,
    RateLimitedError,
    alert_from_dict,
    all_clear,
    approve,
    cancel,
    context_from_incident,
    draft_alert,
    load_policy,
    mark_sent,
    withdraw,
)
from alerts import Alert as PublicAlert
from alerts import AlertStatus as PublicStatus
from alerts.silence import Silence, covering, silence_from_dict
from geo import City, SpeedModel, hazard_zone
from streams.contract import (
    Command,
    CommandAction,
    ContractError,
    Incident,
    UnitStatus,
)
from streams.fusion import ACTIVE, IncidentState
from streams.triage import CCTV_TYPE, SENSOR_TYPE
from streams.zone import Effect

log = logging.getLogger("goldentime.alerting")
LIVE_STATUSES = frozenset({PublicStatus.DRAFT, PublicStatus.APPROVED, PublicStatus.SENT})
ACTIVE_VALUES = frozenset(status.value for status in ACTIVE)
SEEN_CAP = 3
"""Sensor alarms and camera detections matter to a draft's evidence up to this many (a
camera re-reports every few seconds: each report is not a new decision)."""
ENDED = "ended"
SAME_HAZARD = {
    "gas_leak": "hazmat",
    "hazmat": "gas_leak",
    "collapse": "structural",
    "structural": "collapse",
}
"""Evidence of these types speaks of the same hazard as the type's own (a chemical smell at
a gas leak; a bridge-strain alarm at a collapse)."""
KIND_TYPE: dict[str, str] = {
    **{kind.value: t.value for kind, t in SENSOR_TYPE.items() if t is not None},
    **{kind.value: t.value for kind, t in CCTV_TYPE.items() if t is not None},
}
"""The incident type a sensor's or camera's kind reports (streams.triage)."""


def evidence_about(incident: dict[str, Any]) -> dict[str, int]:
    """The incident's calls, sensor alarms and camera detections that report its own hazard
    (a medical call that joined a flood is not a report of the flood)."""
    own = {incident["type"], SAME_HAZARD.get(incident["type"], incident["type"])}
    counts = {"call": 0, "sensor": 0, "cctv": 0}
    for ref in incident.get("evidence") or ():
        kind = ref.get("kind")
        if kind is None:
            reports = incident["type"]  # a record without kinds: every piece counts
        elif ref["source"] == "call":
            reports = kind.rpartition(">")[2]  # the category, or what the words retyped it to
        else:
            reports = KIND_TYPE.get(kind, "")
        if reports in own:
            counts[ref["source"]] += 1
    return counts


"""The drafted key of an incident that ended (nothing more to draft for it)."""


class AlertFollower:
    """Drafts, updates, withdraws, approves and sends public alerts for the zone's incidents,
    and keeps the supervisors' silences."""

    def __init__(
        self,
        city: City,
        alerts: MutableMapping[str, Any],
        drafted: MutableMapping[str, Any],
        silences: MutableMapping[str, Any] | None = None,
    ) -> None:
        self._city = city
        self._alerts = alerts  # alert id → {"alert": to_dict(), "version": n}
        self._drafted = drafted  # incident id → the decision inputs last drafted for
        self._silence_store = silences if silences is not None else {}
        self._silences = {k: silence_from_dict(v) for k, v in self._silence_store.items()}
        self._districts = DistrictIndex((*city.districts, *city.dongs))
        self._policy = load_policy()
        # the call count matters to the policy up to its highest threshold, no further
        self._calls_cap = max(
            (max(r.min_calls, r.urgent_calls) for r in self._policy.types.values()), default=0
        )
        self._road_kph: tuple[np.ndarray, np.ndarray] | None = None
        # Decoded live alerts, derived from the table (rebuilt with the stage): de-duplication
        # looks at them for every alert-worthy incident, so they are not re-read each time.
        self._live: dict[str, PublicAlert] = {}
        # the same live alerts by hazard: a draft is compared with those of its hazard only
        self._live_by_hazard: dict[str, dict[str, PublicAlert]] = {}
        self._of_incident: dict[str, set[str]] = {}  # incident id → alerts it opened
        self._covering: dict[str, str] = {}  # incident id → the live alert it is part of
        for value in list(alerts.values()):
            alert = alert_from_dict(value["alert"])
            self._of_incident.setdefault(alert.incident_id, set()).add(alert.id)
            self._track(alert)

    def _track(self, alert: PublicAlert) -> None:
        if alert.status in LIVE_STATUSES:
            self._live[alert.id] = alert
            self._live_by_hazard.setdefault(alert.hazard, {})[alert.id] = alert
            for incident_id in alert.incident_ids or (alert.incident_id,):
                self._covering[incident_id] = alert.id
        else:
            self._untrack(alert.id)

    def _untrack(self, alert_id: str) -> None:
        alert = self._live.pop(alert_id, None)
        if alert is not None:
            self._live_by_hazard.get(alert.hazard, {}).pop(alert_id, None)
            for incident_id in alert.incident_ids or (alert.incident_id,):
                if self._covering.get(incident_id) == alert_id:
                    del self._covering[incident_id]

    def _active(self) -> list[PublicAlert]:
        return list(self._live.values())

    def _own(self, incident_id: str) -> PublicAlert | None:
        """The live alert an incident is part of, if any."""
        alert_id = self._covering.get(incident_id)
        return self._live.get(alert_id) if alert_id else None

    def _store(self, alert: PublicAlert) -> list[Effect]:
        previous = self._alerts.get(alert.id)
        version = (previous["version"] + 1) if previous else 1
        data = alert.to_dict()
        self._alerts[alert.id] = {"alert": data, "version": version}
        self._of_incident.setdefault(alert.incident_id, set()).add(alert.id)
        self._track(alert)
        published = {**data, "version": version, "exercise": alert.mode is not Mode.ACTUAL}
        return [Effect("alerts", alert.id, orjson.dumps(published))]

    def _key(self, incident: dict[str, Any]) -> str:
        """What an incident's draft depends on: a change of any of these re-decides it."""
        rule = self._policy.type_rule(incident["type"])
        head = f"{incident['type']}|{incident['priority']}|{incident.get('mass_casualty', False)}"
        if not rule.alert:
            return head
        counts = evidence_about(incident)
        calls = min(counts["call"], self._calls_cap)
        sensors, cameras = min(counts["sensor"], SEEN_CAP), min(counts["cctv"], SEEN_CAP)
        return f"{head}|{calls}|{sensors}|{cameras}"

    def wants(self, incident: dict[str, Any]) -> bool:
        """Whether an incident (its contract JSON) may need a draft made, updated or withdrawn:
        an active, verified incident whose decision inputs changed since the last draft, or
        an ended one with an unapproved draft of its own (cheap: plain values, no model)."""
        if incident["status"] not in ACTIVE_VALUES or incident.get("unverified"):
            return self._drafted.get(incident["id"]) not in (None, ENDED)
        return self._drafted.get(incident["id"]) != self._key(incident)

    def on_incident(
        self, state: IncidentState, previous: Incident | None, now: datetime
    ) -> list[Effect]:
        """Draft, update or withdraw the alert an incident warrants."""
        inc = state.incident
        own = self._own(inc.id)
        if inc.status not in ACTIVE or inc.unverified:
            if inc.id in self._drafted:
                self._drafted[inc.id] = ENDED
            return self._withdraw_own(own, inc.id, now, f"incident {inc.status.value}")
        raw = inc.model_dump(mode="json")
        key = self._key(raw)
        if self._drafted.get(inc.id) == key:
            return []
        self._drafted[inc.id] = key
        rule = self._policy.type_rule(inc.type.value)
        if not rule.alert and own is None:
            return []  # a type the policy never alerts for needs no zone: the draft is 'none'
        zone = hazard_zone(inc.type.value, inc.location.lon, inc.location.lat)
        on_road = rule.major_road_only and self._on_major_road(inc.location.lon, inc.location.lat)
        about = evidence_about(raw)
        ctx = context_from_incident(
            raw,
            hazard_zone=zone,
            patients=inc.patients,
            on_major_road=on_road,
            calls=about["call"],
            sensors=about["sensor"],
            cameras=about["cctv"],
        )
        if own is not None:
            outcome = draft_alert(ctx, self._districts, now=now, own=own)
        else:
            same_hazard = list(self._live_by_hazard.get(rule.hazard, {}).values())
            outcome = draft_alert(ctx, self._districts, now=now, existing=same_hazard)
        if outcome.alert is None:
            why = "; ".join(outcome.decision.reasons)
            return self._withdraw_own(own, inc.id, now, f"no longer warranted: {why}")
        alert = outcome.alert
        if outcome.action != "new":
            return self._store(alert)
        if self._ruled_out(alert.id):
            return []  # a dispatcher withdrew this very draft: the ruling stands
        silence = covering(
            self._current_silences(now),
            alert.hazard,
            alert.tier,
            inc.location.lon,
            inc.location.lat,
            now,
        )
        if silence is not None:
            alert = self._silenced(alert, silence, now)
        return self._store(alert)

    def on_closure(self, record: dict[str, Any], now: datetime) -> list[Effect]:
        """Draft the public notice of a structure a person closed ("○○지하차도 통제,
        우회하십시오", as the policy's ``road_closure`` rule words and sizes it), or withdraw
        its unapproved draft when the structure reopens. Once per closure record version."""
        sid = record["structure_id"]
        about = f"CLOSURE-{sid}"  # the alert's subject, in place of an incident
        key = f"closure|{sid}"
        if (self._drafted.get(key) or 0) >= record["version"]:
            return []  # a replay of a closure record already handled
        self._drafted[key] = record["version"]
        own = self._own(about)
        if record["state"] != "closed":
            return self._withdraw_own(own, about, now, f"{record['name']} reopened")
        if own is not None:
            return []
        subject = {
            "id": about,
            "type": "road_closure",
            "priority": 3,
            "location": record["location"],
            "opened_at": record["updated_at"],
            "evidence": [],
        }
        ctx = context_from_incident(subject, place=record["name"], calls=0, sensors=0, cameras=0)
        outcome = draft_alert(ctx, self._districts, now=now)
        if outcome.alert is None or self._ruled_out(outcome.alert.id):
            return []
        return self._store(outcome.alert)

    def _withdraw_own(
        self, own: PublicAlert | None, incident_id: str, now: datetime, reason: str
    ) -> list[Effect]:
        """Withdraw the incident's own unapproved draft (not one other incidents share)."""
        if (
            own is None
            or own.status is not PublicStatus.DRAFT
            or own.approvals
            or tuple(own.incident_ids or (own.incident_id,)) != (incident_id,)
        ):
            return []
        return self._store(withdraw(own, now, reason))

    def _ruled_out(self, alert_id: str) -> bool:
        """True when a dispatcher withdrew this alert (not the system)."""
        value = self._alerts.get(alert_id)
        if value is None or value["alert"]["status"] != PublicStatus.CANCELLED.value:
            return False
        audit = value["alert"].get("audit") or []
        return any(e["action"] == "withdraw" and e["actor"] != "system" for e in audit)

    def _silenced(self, alert: PublicAlert, silence: Silence, now: datetime) -> PublicAlert:
        log.info("draft %s (%s) suppressed by silence %s", alert.id, alert.hazard, silence.id)
        reason = (
            f"silenced by {silence.by} until {silence.until.isoformat()} "
            f"(silence {silence.id}): {silence.reason}"
        )
        return withdraw(dataclasses.replace(alert, silenced_by=silence.id), now, reason)

    def _current_silences(self, now: datetime) -> list[Silence]:
        """The silences that still hold (those past their time are dropped)."""
        for silence_id, silence in list(self._silences.items()):
            if silence.until <= now:
                del self._silences[silence_id]
                if silence_id in self._silence_store:
                    del self._silence_store[silence_id]
        return list(self._silences.values())

    def _on_major_road(self, lon: float, lat: float) -> bool:
        """Whether (lon, lat) is on a major road: the road link it snaps to (within the
        policy's distance) has a legal limit of at least the policy's major-road limit."""
        roads = self._city.roads
        if self._road_kph is None:
            src, dst, time_s, length_m = roads.edge_arrays()
            legal_kph = length_m / time_s * 3.6 / SpeedModel().emergency_factor
            self._road_kph = (src * roads.node_count + dst, legal_kph)
        keys, legal_kph = self._road_kph
        snap = roads.snap_edge(lon, lat)
        if snap.distance_m > self._policy.major_road_snap_m:
            return False
        for u, v, _ in snap.edges:
            at = int(np.searchsorted(keys, u * roads.node_count + v))
            if at < len(keys) and legal_kph[at] >= self._policy.major_road_min_legal_kph:
                return True
        return False

    def forget(self, incident_id: str) -> None:
        """The incident was forgotten by the zone: so are its alerts, unless one is public
        (an approved or sent alert stays until it is cancelled or cleared)."""
        if incident_id in self._drafted:
            del self._drafted[incident_id]
        kept = set()
        for alert_id in self._of_incident.pop(incident_id, set()):
            live = self._live.get(alert_id)
            if live is not None and live.status is not PublicStatus.DRAFT:
                kept.add(alert_id)
                continue
            self._untrack(alert_id)
            if alert_id in self._alerts:
                del self._alerts[alert_id]
        if kept:
            self._of_incident[incident_id] = kept

    def on_unit_status(self, status: UnitStatus, now: datetime) -> list[Effect]:
        """Unit reports do not change alerts."""
        return []

    def on_command(
        self, command: Command, incident: Incident | None, now: datetime
    ) -> list[Effect]:
        """Approve (and send once approved), cancel, give the all-clear, silence or lift."""
        if command.action is CommandAction.SILENCE_ALERTS:
            return self._silence(command, now)
        if command.action is CommandAction.LIFT_SILENCE:
            return self._lift(command)
        if command.alert_id is None:
            return []
        value = self._alerts.get(command.alert_id)
        if value is None:
            raise ContractError(f"no alert {command.alert_id!r}", command.id)
        alert = alert_from_dict(value["alert"])
        try:
            if command.action is CommandAction.APPROVE_ALERT:
                alert = approve(alert, command.by, now)
                if alert.status is PublicStatus.APPROVED:
                    alert = self._send(alert, now)
            elif command.action is CommandAction.CANCEL_ALERT:
                alert = cancel(
                    alert, command.by, now, command.reason or "", SEOUL_ISSUER, self._policy
                )
            elif command.action is CommandAction.ALL_CLEAR_ALERT:
                alert = all_clear(alert, command.by, now, SEOUL_ISSUER, self._policy)
            else:
                return []
        except AlertError as exc:
            raise ContractError(f"{command.action.value} refused: {exc}", command.id) from None
        return self._store(alert)

    def _send(self, alert: PublicAlert, now: datetime) -> PublicAlert:
        recent = [a for a in self._active() if a.status is PublicStatus.SENT]
        try:
            return mark_sent(alert, "system", now, self._policy, live=True, recent=recent)
        except LiveChannelError:
            # exercise and test alerts are "sent" to non-live channels only, marked as such
            return mark_sent(alert, "system", now, self._policy, live=False, recent=recent)
        except (QuietHoursError, RateLimitedError) as exc:
            log.info("alert %s approved but held: %s", alert.id, exc)
            return alert

    def _silence(self, command: Command, now: datetime) -> list[Effect]:
        """Start a silence, and withdraw the unapproved drafts it covers."""
        hazard = command.hazard or ""
        if hazard not in self._policy.hazards():
            known = ", ".join(sorted(self._policy.hazards()))
            raise ContractError(
                f"silence_alerts: no hazard {hazard!r} (one of {known})", command.id
            )
        assert command.area is not None and command.duration_s is not None  # the contract's
        try:
            silence = Silence.of(
                command.id,
                hazard,
                command.area,
                command.at,
                command.duration_s,
                command.by,
                command.reason or "",
            )
        except AlertError as exc:
            raise ContractError(f"silence_alerts refused: {exc}", command.id) from None
        self._silences[silence.id] = silence
        self._silence_store[silence.id] = silence.to_dict()
        log.info("silence %s: %s by %s until %s", silence.id, hazard, silence.by, silence.until)
        effects: list[Effect] = []
        for alert in list(self._live_by_hazard.get(hazard, {}).values()):
            if alert.status is not PublicStatus.DRAFT or alert.approvals:
                continue
            if silence.covers(alert.hazard, alert.tier, *_where(alert), now):
                effects += self._store(self._silenced(alert, silence, now))
        return effects

    def _lift(self, command: Command) -> list[Effect]:
        """End a silence before its time (new drafts are made again from the next change)."""
        silence_id = command.silence_id or ""
        if silence_id not in self._silences:
            raise ContractError(f"lift_silence: no current silence {silence_id!r}", command.id)
        del self._silences[silence_id]
        if silence_id in self._silence_store:
            del self._silence_store[silence_id]
        log.info("silence %s lifted by %s", silence_id, command.by)
        return []


def _where(alert: PublicAlert) -> tuple[float, float]:
    """About where an alert's incident is: the centre of its area (drawn around the incident),
    or a point inside the area when the centre falls outside it."""
    point = alert.area.centroid
    if not alert.area.contains(point):
        point = alert.area.representative_point()
    return float(point.x), float(point.y)
