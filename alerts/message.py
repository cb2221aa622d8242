"""Message composition: five elements, Korean first, carrier-style length limits."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from alerts.errors import AlertError, MessageTooLongError, UnencodableTextError
from alerts.model import KST, Issuer, MessageInput
from alerts.phrases import PHRASEBOOKS, Phrasebook
from alerts.policy import Policy
from alerts.public import redact_personal

__all__ = [
    "DROP_ORDER",
    "KINDS",
    "ComposedMessage",
    "MessageInput",
    "compose",
    "compose_all",
    "ksc5601_bytes",
    "measure",
]

KINDS = ("alert", "all_clear", "cancel")
# Optional parts, dropped first to last until the message fits; required parts never are.
DROP_ORDER = ("info", "secondary", "date", "place_detail", "keyword")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class ComposedMessage:
    """One language's message with the five elements it states and how it was measured."""

    language: str
    text: str
    headline: str
    event: str
    instruction: str
    elements: Mapping[str, str]
    dropped: tuple[str, ...]
    length: int
    limit: int
    unit: str


def ksc5601_bytes(text: str) -> int:
    """Bytes as Korean carriers count them: KS X 1001 (CP949), Hangul 2, ASCII 1."""
    try:
        return len(text.encode("cp949"))
    except UnicodeEncodeError as exc:
        raise UnencodableTextError(
            f"{text[exc.start : exc.end]!r} cannot be sent over Korean cell broadcast"
        ) from exc


def measure(text: str, unit: str) -> int:
    """Length of a text in a unit ('ksc5601_bytes' or 'chars')."""
    if unit == "ksc5601_bytes":
        return ksc5601_bytes(text)
    if unit == "chars":
        return len(text)
    raise AlertError(f"unknown length unit {unit!r}")


def _clean_place(text: str, unit: str) -> str:
    """Free-text place from call-taking: no personal data, no unsendable characters."""
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    text = _SPACES.sub(" ", redact_personal(text)).strip()
    if unit == "ksc5601_bytes":
        text = "".join(ch for ch in text if _encodable(ch))
    return text[:60].strip()


def _encodable(ch: str) -> bool:
    try:
        ch.encode("cp949")
    except UnicodeEncodeError:
        return False
    return True


def compose(
    facts: MessageInput, book: Phrasebook, issuer: Issuer, policy: Policy
) -> ComposedMessage:
    """Word one language's message; drop optional parts in DROP_ORDER, else fail loudly."""
    if facts.kind not in KINDS:
        raise AlertError(f"unknown message kind {facts.kind!r}")
    rule = policy.length_rule(book.language)
    limit = rule.limit(facts.urgent and facts.kind == "alert")  # 90자 is for warnings
    local = facts.issued_at.astimezone(KST)
    hazard = book.hazard(facts.hazard)
    if facts.kind == "alert":
        action = book.action(facts.hazard, facts.response, facts.distance_m)
    else:
        action = book.closing_actions[facts.kind]
    detail_src = facts.place_detail if book.language == "ko" else facts.place_detail_en
    detail = _clean_place(detail_src, rule.unit)
    keyword = ""
    if book.language == "ko" and "en" in PHRASEBOOKS:
        keyword = f"({PHRASEBOOKS['en'].hazard(facts.hazard)})"
    place = book.place(facts.place)
    required = {
        "tag": book.tags.get(facts.mode.value, ""),
        "sender": issuer.name(book.language),
        "time": local.strftime("%H:%M"),
        "place": place,
        "hazard": hazard,
        "action": action,
    }
    optional = {
        "info": book.info if facts.kind == "alert" else "",
        "secondary": book.secondary.get(facts.hazard, "") if facts.kind == "alert" else "",
        "date": local.strftime(book.date_format),
        "place_detail": _detail(book.language, detail),
        "keyword": keyword,
    }
    dropped: list[str] = []
    layout = book.layouts[facts.kind]
    text = _render(layout, required, optional)
    length = measure(text, rule.unit)
    for name in DROP_ORDER:
        if length <= limit:
            break
        if optional[name]:
            optional[name] = ""
            dropped.append(name)
            text = _render(layout, required, optional)
            length = measure(text, rule.unit)
    if length > limit:
        raise MessageTooLongError(book.language, length, limit, rule.unit, text)
    headline = f"{hazard} - {place}" if book.language != "ko" else f"{place} {hazard}"
    elements = {
        "sender": required["sender"],
        "hazard": hazard,
        "place": place,
        "action": action,
        "time": required["time"],
    }
    return ComposedMessage(
        book.language,
        text,
        headline,
        hazard,
        action,
        elements,
        tuple(dropped),
        length,
        limit,
        rule.unit,
    )


def _detail(language: str, detail: str) -> str:
    if not detail:
        return ""
    return f" {detail} 인근" if language == "ko" else f" ({detail})"


def _render(layout: str, required: Mapping[str, str], optional: Mapping[str, str]) -> str:
    return _SPACES.sub(" ", layout.format(**required, **optional)).strip()


def compose_all(
    facts: MessageInput,
    languages: Sequence[str],
    issuer: Issuer,
    policy: Policy,
    phrasebooks: Mapping[str, Phrasebook] = PHRASEBOOKS,
) -> dict[str, ComposedMessage]:
    """Messages in Korean first, then English, then any other requested language."""
    order = ["ko", "en", *(lang for lang in languages if lang not in ("ko", "en"))]
    out: dict[str, ComposedMessage] = {}
    for lang in order:
        book = phrasebooks.get(lang)
        if book is None:
            raise AlertError(f"no phrasebook for language {lang!r}")
        out[lang] = compose(facts, book, issuer, policy)
    return out
