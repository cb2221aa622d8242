"""How relay errors reach a client: WebSocket close codes and HTTP statuses, decided once.

WebSocket close codes (sent after the handshake so browsers can read them):

====  =========================================================================
4401  unauthenticated: missing, malformed, forged, expired or revoked token (also
      sent when a viewer's token expires or is revoked during a session)
4403  forbidden: role may not view, or a crew asks for a camera not at its own
      incident (also sent when a crew loses its assignment during a session)
4404  unknown camera
4409  ingest only: superseded by a newer connection of the same source
4413  ingest only: frame larger than ``max_frame_bytes`` (a message more than 4 KiB
      beyond it is refused by the WebSocket layer itself with 1009)
4415  ingest only: frame is not a JPEG
4422  viewing without a ``reason`` or ``incident_id``
4429  too many viewers on this camera
4503  audit log (or the read model deciding crew rights) unavailable: no
      viewing without a record
1001  relay shutting down
====  =========================================================================
"""

from __future__ import annotations

from video_relay.errors import (
    BadFrame,
    Forbidden,
    PullRefused,
    ReasonRequired,
    RegistrationError,
    StoreUnavailable,
    Unauthenticated,
    UnknownCamera,
    VideoRelayError,
    ViewerLimit,
)

__all__ = [
    "CLOSE_FRAME_NOT_JPEG",
    "CLOSE_FRAME_TOO_LARGE",
    "CLOSE_GOING_AWAY",
    "CLOSE_SUPERSEDED",
    "close_code_for",
    "http_status_for",
]

CLOSE_GOING_AWAY = 1001
CLOSE_SUPERSEDED = 4409
CLOSE_FRAME_TOO_LARGE = 4413
CLOSE_FRAME_NOT_JPEG = 4415

_CLOSE: tuple[tuple[type[VideoRelayError], int], ...] = (
    (Unauthenticated, 4401),
    (Forbidden, 4403),
    (UnknownCamera, 4404),
    (ReasonRequired, 4422),
    (ViewerLimit, 4429),
    (StoreUnavailable, 4503),
    (BadFrame, CLOSE_FRAME_NOT_JPEG),
    (RegistrationError, 4409),
)

_HTTP: tuple[tuple[type[VideoRelayError], int], ...] = (
    (Unauthenticated, 401),
    (Forbidden, 403),
    (UnknownCamera, 404),
    (ReasonRequired, 422),
    (ViewerLimit, 429),
    (StoreUnavailable, 503),
    (BadFrame, 415),
    (RegistrationError, 409),
    (PullRefused, 422),
)


def close_code_for(error: VideoRelayError) -> int:
    """The WebSocket close code that tells a client why it was refused."""
    if isinstance(error, BadFrame) and error.too_large:
        return CLOSE_FRAME_TOO_LARGE
    for kind, code in _CLOSE:
        if isinstance(error, kind):
            return code
    return 1011


def http_status_for(error: VideoRelayError) -> int:
    """The HTTP status that tells a client why it was refused."""
    if isinstance(error, BadFrame) and error.too_large:
        return 413
    for kind, status in _HTTP:
        if isinstance(error, kind):
            return status
    return 500
