"""Dead-letter records: an input we could not turn into an effect, with why."""

from __future__ import annotations

from datetime import UTC, datetime

from streams.contract import DeadLetter, payload_text

MAX_ERROR_CHARS = 4000


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
    text, encoding = payload_text(payload)
    return DeadLetter(
        source_topic=source_topic,
        partition=partition,
        offset=offset,
        received_at=now or datetime.now(UTC),
        error=error[:MAX_ERROR_CHARS],
        payload=text,
        payload_encoding=encoding,
        event_id=event_id,
        stage=stage,
    )
