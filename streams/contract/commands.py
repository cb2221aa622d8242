"""Dispatcher commands: what the console asks the worker to do (internal topic ``gt-commands``).

The console checks the caller's role, audits the command, and produces it; the worker,
which owns incident, assignment and alert state, applies it and publishes the new states
on the output topics. A command is idempotent by its ``id``.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, model_validator

from streams.contract.common import ContractModel, EventId, ShortText, Timestamp


class CommandAction(StrEnum):
    """What a dispatcher asks for."""

    ACCEPT_RECOMMENDATION = (
        "accept_recommendation"  # assign the recommended units (all or unit_ids)
    )
    OVERRIDE = "override"  # assign unit_ids and/or cancel remove_unit_ids instead; reason required
    RESOLVE_INCIDENT = "resolve_incident"
    CLOSE_INCIDENT = "close_incident"
    APPROVE_ALERT = "approve_alert"  # 위급 (Extreme) needs two different dispatchers
    CANCEL_ALERT = "cancel_alert"  # reason required
    ALL_CLEAR_ALERT = "all_clear_alert"


NEEDS_REASON = frozenset({CommandAction.OVERRIDE, CommandAction.CANCEL_ALERT})
NEEDS_INCIDENT = frozenset(
    {
        CommandAction.ACCEPT_RECOMMENDATION,
        CommandAction.OVERRIDE,
        CommandAction.RESOLVE_INCIDENT,
        CommandAction.CLOSE_INCIDENT,
    }
)
NEEDS_ALERT = frozenset(
    {
        CommandAction.APPROVE_ALERT,
        CommandAction.CANCEL_ALERT,
        CommandAction.ALL_CLEAR_ALERT,
    }
)


class Command(ContractModel):
    """One dispatcher action, with who asked and why."""

    id: EventId
    at: Timestamp
    action: CommandAction
    by: str = Field(min_length=1, max_length=80)
    role: str = Field(max_length=20)
    incident_id: EventId | None = None
    alert_id: EventId | None = None
    unit_ids: list[EventId] = Field(default_factory=list, max_length=50)
    remove_unit_ids: list[EventId] = Field(default_factory=list, max_length=50)
    reason: ShortText | None = None

    @model_validator(mode="after")
    def _complete(self) -> Command:
        if self.action in NEEDS_REASON and not self.reason:
            raise ValueError(f"{self.action.value} needs a reason")
        if self.action in NEEDS_INCIDENT and not self.incident_id:
            raise ValueError(f"{self.action.value} needs incident_id")
        if self.action in NEEDS_ALERT and not self.alert_id:
            raise ValueError(f"{self.action.value} needs alert_id")
        return self
