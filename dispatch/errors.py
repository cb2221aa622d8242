"""Exceptions raised by the dispatch package; the worker turns them into dead-letter records."""

from __future__ import annotations

__all__ = [
    "DispatchError",
    "IllegalTransitionError",
    "OutOfOrderUpdateError",
    "RunCardError",
    "UnknownUnitError",
]


class DispatchError(Exception):
    """Base class of every error raised by dispatch; `reason` is readable by an operator."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RunCardError(DispatchError):
    """The run-card configuration is invalid, or no card matches an incident."""


class IllegalTransitionError(DispatchError):
    """A unit status change that the status state machine does not allow."""


class UnknownUnitError(DispatchError):
    """A status update for a unit the fleet does not know and cannot seed."""


class OutOfOrderUpdateError(DispatchError):
    """A status update older than the unit's last known status."""
