"""Public alerts in the zone: a draft within seconds of qualifying evidence, then the
dispatchers' approvals, sending, cancelling and the all-clear, each published on ``alerts``.

The decisions are the ``alerts`` package's; this module stores alert states in the zone's
table and turns refusals (one approval for a 위급 alert, a test alert to a live channel…)
into readable dead-letter reasons for the command that asked.
"""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from datetime import datetime
from typing import Any

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
)
from alerts import Alert as PublicAlert
from alerts import AlertStatus as PublicStatus
from geo import City, hazard_zone
from streams.contract import Command, CommandAction, ContractError, Incident, UnitStatus
from streams.fusion import ACTIVE, IncidentState
from streams.zone import Effect

log = logging.getLogger("goldentime.alerting")
LIVE_STATUSES = frozenset({PublicStatus.DRAFT, PublicStatus.APPROVED, PublicStatus.SENT})
ACTIVE_VALUES = frozenset(status.value for status in ACTIVE)


def _draft_key(incident_type: str, priority: int, mass_casualty: bool) -> str:
    """What an incident's draft was made for: a change of any of these re-drafts it."""
    return f"{incident_type}|{priority}|{mass_casualty}"


class AlertFollower:
    """Drafts, approves and sends public alerts for the zone's incidents."""

    def __init__(
        self, city: City, alerts: MutableMapping[str, Any], drafted: MutableMapping[str, Any]
    ) -> None:
        self._city = city
        self._alerts = alerts  # alert id → {"alert": to_dict(), "version": n}
        self._drafted = drafted  # incident id → the (type, priority, mci) last drafted for
        self._districts = DistrictIndex((*city.districts, *city.dongs))
        self._policy = load_policy()
        # Decoded live alerts, derived from the table (rebuilt with the zone): de-duplication
        # looks at them for every alert-worthy incident, so they are not re-read each time.
        self._live: dict[str, PublicAlert] = {}
        # the same live alerts by hazard: a draft is compared with those of its hazard only
        # (all of them were scanned for every draft, quadratic in a surge)
        self._live_by_hazard: dict[str, dict[str, PublicAlert]] = {}
        self._of_incident: dict[str, set[str]] = {}  # incident id → its alerts' ids
        for value in list(alerts.values()):
            alert = alert_from_dict(value["alert"])
            self._of_incident.setdefault(alert.incident_id, set()).add(alert.id)
            self._track(alert)

    def _track(self, alert: PublicAlert) -> None:
        if alert.status in LIVE_STATUSES:
            self._live[alert.id] = alert
            self._live_by_hazard.setdefault(alert.hazard, {})[alert.id] = alert
        else:
            self._untrack(alert.id)

    def _untrack(self, alert_id: str) -> None:
        alert = self._live.pop(alert_id, None)
        if alert is not None:
            self._live_by_hazard.get(alert.hazard, {}).pop(alert_id, None)

    def _active(self) -> list[PublicAlert]:
        return list(self._live.values())

    def _store(self, alert: PublicAlert) -> list[Effect]:
        previous = self._alerts.get(alert.id)
        version = (previous["version"] + 1) if previous else 1
        data = alert.to_dict()
        self._alerts[alert.id] = {"alert": data, "version": version}
        self._of_incident.setdefault(alert.incident_id, set()).add(alert.id)
        self._track(alert)
        published = {**data, "version": version, "exercise": alert.mode is not Mode.ACTUAL}
        return [Effect("alerts", alert.id, orjson.dumps(published))]

    def wants(self, incident: dict[str, Any]) -> bool:
        """Whether an incident (its contract JSON) may need a draft made or updated: it is
        active and verified, and its type, priority or mass-casualty flag changed since
        the last draft (cheap: plain values, no model)."""
        if incident["status"] not in ACTIVE_VALUES or incident.get("unverified"):
            return False
        return self._drafted.get(incident["id"]) != _draft_key(
            incident["type"], incident["priority"], incident.get("mass_casualty", False)
        )

    def on_incident(
        self, state: IncidentState, previous: Incident | None, now: datetime
    ) -> list[Effect]:
        """Draft (or update) the alert an incident warrants, if it warrants one."""
        inc = state.incident
        if inc.status not in ACTIVE or inc.unverified:
            return []
        key = _draft_key(inc.type.value, inc.priority, inc.mass_casualty)
        if self._drafted.get(inc.id) == key:
            return []
        self._drafted[inc.id] = key
        zone = None  # a type the policy never alerts for needs no zone: the draft is 'none'
        rule = self._policy.type_rule(inc.type.value)
        if rule.alert:
            zone = hazard_zone(inc.type.value, inc.location.lon, inc.location.lat)
        ctx = context_from_incident(
            inc.model_dump(mode="json"),
            hazard_zone=zone,
            patients=inc.patients,
        )
        same_hazard = list(self._live_by_hazard.get(rule.hazard, {}).values())
        outcome = draft_alert(ctx, self._districts, now=now, existing=same_hazard)
        if outcome.alert is None:
            return []
        return self._store(outcome.alert)

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
        """Approve (and send once approved), cancel, or give the all-clear."""
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
