"""Disaster video to the people who need it: camera relay with backpressure and an audit.

Sources push JPEG frames (WebSocket or HTTP) or are pulled (MJPEG over HTTP) only while
someone watches; each authorised viewer gets the newest frame when it is ready for one;
every viewing is recorded with who, which camera, why, and when.
"""

from video_relay.app import create_app
from video_relay.audit import AuditLog, ViewingSession
from video_relay.cameras import CameraEntry, CameraLike, CameraRegistry
from video_relay.config import RelayConfig
from video_relay.errors import (
    BadFrame,
    Forbidden,
    MjpegError,
    PullRefused,
    ReasonRequired,
    RegistrationError,
    StoreUnavailable,
    Unauthenticated,
    UnknownCamera,
    VideoRelayError,
    ViewerLimit,
)
from video_relay.policy import RedisViewingPolicy, StaticViewingPolicy, ViewingPolicy

__all__ = [
    "AuditLog",
    "BadFrame",
    "CameraEntry",
    "CameraLike",
    "CameraRegistry",
    "Forbidden",
    "MjpegError",
    "PullRefused",
    "ReasonRequired",
    "RedisViewingPolicy",
    "RegistrationError",
    "RelayConfig",
    "StaticViewingPolicy",
    "StoreUnavailable",
    "Unauthenticated",
    "UnknownCamera",
    "VideoRelayError",
    "ViewerLimit",
    "ViewingPolicy",
    "ViewingSession",
    "create_app",
]
