"""Prometheus metrics of one relay (its own registry, so several relays can live in one test)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

__all__ = ["RelayMetrics"]


class RelayMetrics:
    """Counters and gauges the relay updates; :meth:`render` gives the text exposition."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.frames_in = Counter(
            "gt_video_frames_in_total",
            "Frames received from sources, by outcome (accepted, paused, rejected).",
            ["outcome"],
            registry=r,
        )
        self.frames_out = Counter(
            "gt_video_frames_out_total", "Frames sent to viewers.", registry=r
        )
        self.bytes_out = Counter("gt_video_bytes_out_total", "Bytes sent to viewers.", registry=r)
        self.frames_dropped = Counter(
            "gt_video_frames_dropped_total",
            "Frames a viewer did not get because a newer one replaced them (drop-oldest).",
            registry=r,
        )
        self.viewers = Gauge("gt_video_viewers", "Viewers attached now.", registry=r)
        self.sources = Gauge("gt_video_push_sources", "Push sources connected now.", registry=r)
        self.pulls = Gauge("gt_video_pulls", "MJPEG pulls running now.", registry=r)
        self.sessions = Counter(
            "gt_video_sessions_total",
            "Viewing sessions ended, by close code.",
            ["code"],
            registry=r,
        )
        self.refusals = Counter(
            "gt_video_refusals_total",
            "Viewing or ingest refused, by close code.",
            ["code"],
            registry=r,
        )
        self.frame_age = Histogram(
            "gt_video_frame_age_seconds",
            "Time from a frame's arrival at the relay to its send to a viewer.",
            buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
            registry=r,
        )

    def render(self) -> bytes:
        """The Prometheus text exposition of every metric."""
        return generate_latest(self.registry)
