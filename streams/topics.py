"""Topic names of the contract (with the deployment's prefix) and their creation."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

log = logging.getLogger(__name__)

INPUT_TOPICS = ("calls", "cctv-events", "sensor-alarms", "unit-status")
FEED_TOPICS = ("er-status",)
"""Inputs on the state of the city's resources (emergency rooms), not on emergencies."""
OUTPUT_TOPICS = (
    "incidents",
    "assignments",
    "overlays",
    "alerts",
    "deadletter",
    "destinations",
    "mci-plans",
    "road-closures",
)
INTERNAL_TOPICS = ("evidence", "commands", "follow", "dispatch", "merge")
COMPACTED = frozenset({"incidents", "overlays", "mci-plans", "road-closures"})


@dataclass(frozen=True, slots=True)
class Topics:
    """The topic names of one deployment."""

    prefix: str = ""

    def name(self, base: str) -> str:
        """The full name of a contract topic, e.g. ``calls`` → ``<prefix>calls``."""
        return f"{self.prefix}{base}"

    @property
    def calls(self) -> str:
        return self.name("calls")

    @property
    def cctv_events(self) -> str:
        return self.name("cctv-events")

    @property
    def sensor_alarms(self) -> str:
        return self.name("sensor-alarms")

    @property
    def unit_status(self) -> str:
        return self.name("unit-status")

    @property
    def er_status(self) -> str:
        """Emergency rooms' live status (beds, capabilities), keyed by hospital id."""
        return self.name("er-status")

    @property
    def incidents(self) -> str:
        return self.name("incidents")

    @property
    def assignments(self) -> str:
        return self.name("assignments")

    @property
    def overlays(self) -> str:
        return self.name("overlays")

    @property
    def alerts(self) -> str:
        return self.name("alerts")

    @property
    def deadletter(self) -> str:
        return self.name("deadletter")

    @property
    def destinations(self) -> str:
        """The emergency room each unit takes its patient to, keyed by incident id."""
        return self.name("destinations")

    @property
    def mci_plans(self) -> str:
        """Mass-casualty distribution plans (compacted), keyed by incident id."""
        return self.name("mci-plans")

    @property
    def road_closures(self) -> str:
        """Each bridge, tunnel, underpass and overpass's closure state (compacted), keyed by
        structure id."""
        return self.name("road-closures")

    @property
    def evidence(self) -> str:
        """Internal: validated evidence, keyed by spatial region for fusion."""
        return self.name("gt-evidence")

    @property
    def commands(self) -> str:
        """Internal: dispatcher commands to the worker, keyed by incident region."""
        return self.name("gt-commands")

    @property
    def follow(self) -> str:
        """Internal: incident states and alert commands, from the fusion zone to the
        follow-up stage (overlays, alert drafts), in the zone's order."""
        return self.name("gt-follow")

    @property
    def dispatch(self) -> str:
        """Internal: incident states, unit reports and dispatcher commands, from the fusion
        zone to the dispatch stage (fleet, recommendations, assignments), in the zone's
        order."""
        return self.name("gt-dispatch")

    @property
    def token_revocations(self) -> str:
        """Revoked console tokens (compacted, one partition): every console replica replays
        it at start and follows it, so a revocation survives a cache restart."""
        return self.name("token-revocations")

    @property
    def merge(self) -> str:
        """Internal: incidents near a fusion zone border, from every zone to the merge stage
        (``streams.merging``); unused when the city is one zone."""
        return self.name("gt-merge")

    def all_contract(self) -> list[str]:
        """Every input and output topic of the contract."""
        return [self.name(t) for t in INPUT_TOPICS + FEED_TOPICS + OUTPUT_TOPICS]


def ensure_topics(
    bootstrap: str,
    topics: Topics,
    partitions: int,
    replication_factor: int = 1,
    timeout_s: float = 30.0,
) -> list[str]:
    """Create the contract and internal topics that do not exist yet; return those created."""
    from kafka import KafkaAdminClient
    from kafka.admin import NewTopic
    from kafka.errors import KafkaError, TopicAlreadyExistsError

    deadline = time.monotonic() + timeout_s
    while True:
        try:
            admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="gt-admin")
            break
        except KafkaError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
    try:
        existing = set(admin.list_topics())
        wanted = []
        for base in INPUT_TOPICS + FEED_TOPICS + OUTPUT_TOPICS:
            config = {"cleanup.policy": "compact"} if base in COMPACTED else {}
            wanted.append((topics.name(base), config))
        internal = [topics.evidence, topics.commands, topics.follow, topics.dispatch, topics.merge]
        wanted += [(name, {}) for name in internal]
        new = [
            NewTopic(name, partitions, replication_factor, topic_configs=config)
            for name, config in wanted
            if name not in existing
        ]
        if topics.token_revocations not in existing:  # one ordered log of revocations
            compact = {"cleanup.policy": "compact"}
            new.append(
                NewTopic(topics.token_revocations, 1, replication_factor, topic_configs=compact)
            )
        if new:
            try:
                admin.create_topics(new)
            except TopicAlreadyExistsError:
                log.info("topics created concurrently by another process")
        return [t.name for t in new]
    finally:
        admin.close()
