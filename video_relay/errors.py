"""What can go wrong in the relay; translated to close codes and statuses once, in codes.py."""

from __future__ import annotations

__all__ = [
    "BadFrame",
    "Forbidden",
    "MjpegError",
    "PullRefused",
    "ReasonRequired",
    "RegistrationError",
    "StoreUnavailable",
    "Unauthenticated",
    "UnknownCamera",
    "VideoRelayError",
    "ViewerLimit",
]


class VideoRelayError(Exception):
    """Base of every error the relay raises on purpose."""


class Unauthenticated(VideoRelayError):
    """No token, or a token (viewer or ingest) that is forged, malformed or expired."""


class Forbidden(VideoRelayError):
    """A valid principal that may not do this (e.g. a crew asking for another scene)."""


class ReasonRequired(VideoRelayError):
    """Viewing public CCTV needs a stated reason or incident (personal-information law)."""


class UnknownCamera(VideoRelayError):
    """No camera with this id in the registry."""


class ViewerLimit(VideoRelayError):
    """The camera already has as many viewers as the relay allows."""


class BadFrame(VideoRelayError):
    """A pushed frame that is not a JPEG or is too large."""

    def __init__(self, message: str, *, too_large: bool = False) -> None:
        super().__init__(message)
        self.too_large = too_large


class RegistrationError(VideoRelayError):
    """A run-time camera registration that conflicts or is invalid."""


class StoreUnavailable(VideoRelayError):
    """The audit log or the read model cannot be reached: no viewing without a record."""


class MjpegError(VideoRelayError):
    """A pulled MJPEG-over-HTTP stream that does not parse (the puller reconnects)."""


class PullRefused(VideoRelayError):
    """A pull URL or the address it leads to is not an allowed camera host (no SSRF)."""
