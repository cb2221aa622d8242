"""Dead-letter records: an input we could not turn into an effect, with why."""

from __future__ import annotations

from datetime import UTC, datetime

from streams.contract import DeadLetter, payload_text

MAX_ERROR_CHARS = 4000
MAX_PAYLOAD_BYTES = 64 * 1024
"""A dead letter keeps at most this much of the original payload (its topic, partition and
offset lead to the whole): a huge refused input must not become a record the broker refuses,
which would stall its partition for ever."""


def dead_letter(
    *,
    source_topic: str,
    partition: int,
    offset: int,
    payload: bytes | None,
    error: str,
    event_id: str | None = None,
    stage: str = "intake",
    now: datetime | None = None,
) -> DeadLetter:
    """Build the dead-letter record of a rejected input."""
    if payload is not None and len(payload) > MAX_PAYLOAD_BYTES:
        error = f"{error} [payload truncated to {MAX_PAYLOAD_BYTES} of {len(payload)} bytes]"
        payload = payload[:MAX_PAYLOAD_BYTES]
    text, encoding = payload_text(payload)
    return DeadLetter(
        source_topic=source_topic,
        partition=partition,
        offset=offset,
        received_at=now or datetime.now(UTC),
        error=error[-MAX_ERROR_CHARS:] if len(error) > MAX_ERROR_CHARS else error,
        payload=text,
        payload_encoding=encoding,
        event_id=event_id,
        stage=stage,
    )
