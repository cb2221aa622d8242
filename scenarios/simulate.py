"""Send simulated city traffic to the broker at a steady rate until stopped."""

from __future__ import annotations

import logging
import random
import signal
import time
from datetime import UTC, datetime
from types import FrameType

import orjson

from geo import load_city
from scenarios.crews import CrewSimulator
from scenarios.generator import CityTraffic
from stack.settings import Settings
from streams.topics import Topics

log = logging.getLogger("goldentime.simulate")


def run(settings: Settings, duration_s: float | None = None) -> int:
    """Produce incidents at ``settings.sim_rate_per_s`` (events/s); return events sent."""
    from kafka import KafkaConsumer, KafkaProducer, TopicPartition

    city = load_city(settings.data_dir)
    traffic = CityTraffic(city, random.Random(settings.sim_seed))
    topics = Topics(settings.topic_prefix)
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all", linger_ms=5)
    crews = CrewSimulator(random.Random(settings.sim_seed + 1))
    home = {u.unit_id: (st.lon, st.lat) for st in city.stations for u in st.units}
    # No consumer group: kafka-python's group protocol does not get past JoinGroup on Tansu.
    follower = KafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap, group_id=None, enable_auto_commit=False
    )
    parts = follower.partitions_for_topic(topics.assignments) or set()
    follower.assign([TopicPartition(topics.assignments, p) for p in parts])
    follower.seek_to_end()
    stop = {"now": False}

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop["now"] = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    sent = 0
    started = time.monotonic()
    next_units = started
    log.info("simulating %s at %.1f events/s", city.name, settings.sim_rate_per_s)
    try:
        while not stop["now"] and (duration_s is None or time.monotonic() - started < duration_s):
            now = datetime.now(UTC)
            batch = list(traffic.incident(now))
            if time.monotonic() >= next_units:
                batch += list(traffic.unit_reports(now, busy=crews.busy))
                next_units = time.monotonic() + 30
            for ev in batch:
                value = ev.value if isinstance(ev.value, bytes) else orjson.dumps(ev.value)
                producer.send(topics.name(ev.topic), key=ev.key.encode(), value=value)
                sent += 1
            pause_s = len(batch) / max(settings.sim_rate_per_s, 0.01)
            for records in follower.poll(timeout_ms=int(pause_s * 1000)).values():
                for record in records:
                    assignment = orjson.loads(record.value)
                    origin = home.get(assignment["unit_id"])
                    if origin:
                        crews.on_assignment(assignment, time.monotonic(), origin)
            for report in crews.due(time.monotonic(), datetime.now(UTC)):
                producer.send(
                    topics.unit_status, key=report["unit_id"].encode(), value=orjson.dumps(report)
                )
                sent += 1
            producer.flush()
    finally:
        producer.flush()
        producer.close()
        follower.close()
    return sent
