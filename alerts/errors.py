"""Exceptions raised by the alerts package."""

from __future__ import annotations

__all__ = [
    "AlertError",
    "ApprovalError",
    "CapValidationError",
    "LiveChannelError",
    "MessageTooLongError",
    "PolicyError",
    "QuietHoursError",
    "RateLimitedError",
    "TransitionError",
    "UnencodableTextError",
]


class AlertError(Exception):
    """Base class of every error raised by alerts."""


class PolicyError(AlertError):
    """The alert policy file is malformed or names an unknown tier or field."""


class UnencodableTextError(AlertError, ValueError):
    """Text holds a character the carrier's encoding (KS X 1001 / CP949) cannot carry."""


class MessageTooLongError(AlertError, ValueError):
    """A message is over its tier's limit even with every optional part dropped."""

    def __init__(self, language: str, length: int, limit: int, unit: str, text: str) -> None:
        super().__init__(
            f"{language} message is {length} {unit}, over the limit of {limit} {unit} "
            f"even with every optional part dropped: {text!r}"
        )
        self.language = language
        self.length = length
        self.limit = limit
        self.unit = unit
        self.text = text


class TransitionError(AlertError):
    """An alert lifecycle step is not allowed from the alert's current status."""


class ApprovalError(TransitionError):
    """An approval is missing, repeated by the same dispatcher, or otherwise invalid."""


class LiveChannelError(AlertError):
    """An exercise or test alert was about to reach a live channel."""


class QuietHoursError(AlertError):
    """A non-urgent alert may not be sent now (quiet hours); resume_at says when it may."""

    def __init__(self, message: str, resume_at: object) -> None:
        super().__init__(message)
        self.resume_at = resume_at


class RateLimitedError(AlertError):
    """Sending would exceed the per-district rate limit."""


class CapValidationError(AlertError):
    """A CAP document does not validate against the OASIS CAP 1.2 schema or its rules."""
