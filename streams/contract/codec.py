"""Bytes in, validated models out: the one place raw payloads become events."""

from __future__ import annotations

import base64
from typing import TypeVar

import orjson
from pydantic import ValidationError

from streams.contract.common import ContractModel

M = TypeVar("M", bound=ContractModel)

MAX_PAYLOAD_BYTES = 256 * 1024
"""Inputs larger than this are refused before parsing (a 119 call is a few hundred bytes)."""


class ContractError(ValueError):
    """An input that does not satisfy the contract; ``reason`` says why, readably."""

    def __init__(self, reason: str, event_id: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.event_id = event_id


def decode(model: type[M], payload: bytes | bytearray | memoryview | str | None) -> M:
    """Parse and validate one event, raising only :class:`ContractError`."""
    if payload is None:
        raise ContractError("empty message (no value)")
    raw = payload.encode("utf-8", "surrogatepass") if isinstance(payload, str) else bytes(payload)
    if len(raw) > MAX_PAYLOAD_BYTES:
        raise ContractError(f"payload of {len(raw)} bytes exceeds {MAX_PAYLOAD_BYTES} bytes")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ContractError(f"not valid UTF-8 JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ContractError(f"expected a JSON object, got {type(data).__name__}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ContractError(_readable(exc), _maybe_id(data)) from None
    except (RecursionError, ValueError, TypeError) as exc:
        raise ContractError(f"invalid {model.__name__}: {exc}", _maybe_id(data)) from None


def encode(model: ContractModel) -> bytes:
    """Serialise an event to its contract JSON bytes."""
    return orjson.dumps(model.model_dump(mode="json"))


def payload_text(payload: bytes | None) -> tuple[str, str]:
    """Return (text, encoding) for a dead letter: UTF-8 when possible, else base64."""
    if payload is None:
        return "", "utf-8"
    try:
        return payload.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return base64.b64encode(payload).decode("ascii"), "base64"


def _maybe_id(data: dict[object, object]) -> str | None:
    value = data.get("id") or data.get("unit_id")
    return value[:128] if isinstance(value, str) else None


def _readable(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors(include_url=False)[:5]:
        where = ".".join(str(p) for p in error["loc"]) or "(event)"
        parts.append(f"{where}: {error['msg']}")
    more = exc.error_count() - len(parts)
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")
