"""The relay's settings: one frozen object built at the entry point and passed down."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

__all__ = ["RelayConfig"]


@dataclass(frozen=True, slots=True)
class RelayConfig:
    """Everything the relay needs to know about its deployment, with safe defaults."""

    ingest_secret: bytes
    """Derives the per-camera ingest token of fixed (city) cameras; keep it private."""
    topic_prefix: str = ""
    """Redis namespace is ``gt:{topic_prefix}``, shared with the streams worker and console."""
    grace_s: float = 5.0
    """How long a source stays wanted after its last viewer left."""
    max_frame_bytes: int = 2_000_000
    """Frames larger than this are refused (a 1080p JPEG is typically 100–400 kB)."""
    max_fps: float = 25.0
    """Upper bound of any viewer's frame rate; a viewer may ask for less."""
    max_bandwidth_bps: float = 8_000_000.0
    """Upper bound of any viewer's bandwidth in bytes per second; a viewer may ask for less."""
    max_viewers_per_camera: int = 64
    """Further viewers of one camera are refused (close code 4429)."""
    stale_after_s: float = 2.0
    """A kept frame older than this is not shown to a viewer who just arrived."""
    recheck_s: float = 10.0
    """How often a running session's rights (revocation, a crew's assignment) are rechecked."""
    janitor_interval_s: float = 0.25
    """Tick of the task that ends grace periods and starts/stops pulls."""
    pull_reconnect_s: float = 1.0
    """Wait before reconnecting to an MJPEG source that failed, while still wanted."""
    pull_urls: tuple[tuple[str, str], ...] = ()
    """(camera_id, MJPEG URL) pairs the relay pulls from instead of waiting for a push."""
    pull_allowed_hosts: tuple[str, ...] = ()
    """Host names a run-time camera's pull URL may name (``*.example.org`` for subdomains);
    the hosts of ``pull_urls`` are allowed too. Any other host is refused."""
    pull_allowed_networks: tuple[str, ...] = ()
    """CIDR networks the relay may connect to even when private, loopback or link-local
    (e.g. the city's camera VLAN); public addresses of allowed hosts need no entry."""
    send_buffer_bytes: int = 131_072
    """Kernel send buffer per connection: bounds the video in flight to a slow viewer."""
    audit_query_limit: int = 5000
    """Most sessions one audit query returns."""

    def __post_init__(self) -> None:
        if len(self.ingest_secret) < 16:
            raise ValueError("ingest_secret must be at least 16 bytes")
        for name in ("grace_s", "max_fps", "max_bandwidth_bps", "stale_after_s"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        if self.max_frame_bytes < 1024 or self.max_viewers_per_camera < 1:
            raise ValueError("max_frame_bytes must be >= 1024 and max_viewers_per_camera >= 1")
        for network in self.pull_allowed_networks:
            ipaddress.ip_network(network, strict=False)  # ValueError names the bad one

    @property
    def namespace(self) -> str:
        """Redis key prefix shared with the other services."""
        return f"gt:{self.topic_prefix}"
