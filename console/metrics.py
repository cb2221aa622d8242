"""Prometheus metrics of one console process."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


@dataclass
class ConsoleMetrics:
    """The console's counters, gauges and histograms, on their own registry."""

    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.ingested = Counter(
            "gt_ingest_total",
            "HTTP ingest requests by topic and outcome",
            ["topic", "outcome"],
            registry=r,
        )
        self.ingest_seconds = Histogram(
            "gt_ingest_seconds",
            "HTTP ingest latency (validate + broker ack)",
            ["topic"],
            registry=r,
            buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )
        self.projected = Counter(
            "gt_projected_total",
            "Output-topic messages applied to the read model",
            ["topic"],
            registry=r,
        )
        self.ws_clients = Gauge("gt_ws_clients", "Connected WebSocket clients", registry=r)
        self.ws_dropped = Gauge(
            "gt_ws_dropped_slow_total", "WebSocket clients dropped for being slow", registry=r
        )
        self.deadletters = Counter(
            "gt_deadletters_total", "Dead letters seen on the deadletter topic", registry=r
        )
