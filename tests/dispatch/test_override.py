"""Overrides are audited with who, why and what changed; assignments follow the contract."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from dispatch import (
    Candidate,
    DispatchError,
    Policy,
    load_run_cards,
    recommend,
    record_override,
    to_assignments,
)

KST = timezone(timedelta(hours=9))
AT = datetime(2026, 11, 21, 13, 5, 9, tzinfo=KST)


def rec():  # type: ignore[no-untyped-def]
    card = load_run_cards().card_for("medical", 2)
    cands = [Candidate("A-1", "ambulance", 200.0, 1500.0), Candidate("A-2", "ambulance", 260.0)]
    return recommend(card, cands, policy=Policy(coverage_aware=False))


def test_override_is_audited_with_who_why_and_the_change() -> None:
    o = record_override("inc-1", rec(), ["A-2"], by="dispatcher-kim", reason="A-1 low fuel", at=AT)
    assert o.by == "dispatcher-kim"
    assert o.reason == "A-1 low fuel"
    assert o.recommended == ("A-1",)
    assert o.added == ("A-2",)
    assert o.removed == ("A-1",)
    d = o.to_dict()
    assert d["at"] == "2026-11-21T13:05:09+09:00"
    assert d["chosen"] == ["A-2"]


@pytest.mark.parametrize(("by", "reason"), [("", "why"), ("kim", "  ")])
def test_override_without_who_or_why_is_refused(by: str, reason: str) -> None:
    with pytest.raises(DispatchError):
        record_override("inc-1", rec(), ["A-2"], by=by, reason=reason, at=AT)


def test_override_time_needs_an_offset() -> None:
    with pytest.raises(DispatchError, match="offset"):
        record_override("inc-1", rec(), [], by="kim", reason="x", at=AT.replace(tzinfo=None))


def test_assignments_carry_the_contract_fields() -> None:
    out = to_assignments("inc-1", rec(), status="recommended", issued_at=AT)
    assert len(out) == 1
    a = out[0]
    assert a["unit_id"] == "A-1"
    assert a["eta_s"] == 200.0
    assert a["distance_m"] == 1500.0
    assert a["golden_time_s"] == 480.0
    assert a["within_golden_time"] is True
    assert a["issued_at"] == "2026-11-21T13:05:09+09:00"
    assert a["status"] == "recommended"
