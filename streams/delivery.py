"""Delivery of sent public alerts to outside channels (SNS / cell-broadcast webhook).

Follows the ``alerts`` topic in the worker's consumer group, so each alert revision is
delivered once per deployment (and again, with the same idempotency key, only after a
crash). Undeliverable sends end on ``deadletter`` with the channel's reason.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import orjson

from alerts import AlertError, Channel, LiveChannelError, alert_from_dict, is_public
from streams.contract import DeadLetter

log = logging.getLogger("goldentime.delivery")


async def deliver(
    channel: Channel, value: bytes, topic: str, partition: int, offset: int
) -> DeadLetter | None:
    """Deliver one record of ``alerts`` if it is a public revision; a dead letter if it failed."""
    data = orjson.loads(value)
    try:
        alert = alert_from_dict(data)
    except AlertError as exc:
        return _letter(topic, partition, offset, value, f"unreadable alert: {exc}")
    if not is_public(alert):
        return None
    try:
        delivery = await channel.deliver(alert)
    except LiveChannelError as exc:
        log.info("not delivered to %s: %s", channel.name, exc)
        return None
    if delivery.ok:
        log.info(
            "alert %s rev %d delivered to %s (%d attempt(s))",
            alert.id,
            alert.revision,
            channel.name,
            delivery.attempts,
        )
        return None
    error = delivery.dead_letter.error if delivery.dead_letter else "undeliverable"
    return _letter(
        topic,
        partition,
        offset,
        value,
        f"undeliverable to {channel.name} after {delivery.attempts} attempts: {error}",
    )


def _letter(topic: str, partition: int, offset: int, value: bytes, error: str) -> DeadLetter:
    return DeadLetter(
        source_topic=topic,
        partition=partition,
        offset=offset,
        received_at=datetime.now(UTC),
        error=error[:4000],
        payload=value.decode("utf-8", "replace"),
        stage="delivery",
    )
