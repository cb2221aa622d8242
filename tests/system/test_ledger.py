"""The accounting the system tests and ``bench.e2e`` rely on (pure, fast)."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from bench.e2e import EffectLedger, Phase, SurgeObserver, surge_phases
from bench.fusion import Mix


def assignment(status: str, issued_at: str, eta_s: float = 60.0) -> dict[str, Any]:
    """An assignment record of unit E-1 to incident I-1."""
    return {
        "incident_id": "I-1",
        "unit_id": "E-1",
        "status": status,
        "eta_s": eta_s,
        "issued_at": issued_at,
    }


def test_an_order_issued_twice_is_a_duplicate_a_repeated_upsert_is_not() -> None:
    """Two identical ``assigned`` states at two times count; re-sent recommendations don't."""
    ledger = EffectLedger()
    ledger.take_assignment(assignment("recommended", "t1"))
    ledger.take_assignment(assignment("recommended", "t2"))
    ledger.take_assignment(assignment("assigned", "t3"))
    ledger.take_assignment(assignment("assigned", "t3"))  # the same record redelivered
    assert ledger.duplicate_assignments() == 0
    assert ledger.repeated_records() == 1
    ledger.take_assignment(assignment("assigned", "t4"))
    assert ledger.duplicate_assignments() == 1
    ledger.take_assignment(assignment("assigned", "t5", eta_s=30.0))  # a new decision
    assert ledger.duplicate_assignments() == 1


def test_identical_drafts_under_two_alert_ids_are_a_duplicate() -> None:
    """Same incident, same draft, two ids → one duplicate; a different draft is not."""
    ledger = EffectLedger()
    draft = {"incident_id": "I-1", "status": "draft", "severity": "Severe", "headline": "h"}
    ledger.take_alert({**draft, "id": "a1"})
    ledger.take_alert({**draft, "id": "a1", "status": "approved"})  # a later version
    assert ledger.duplicate_alerts() == 0
    ledger.take_alert({**draft, "id": "a2", "severity": "Extreme"})
    assert ledger.duplicate_alerts() == 0
    ledger.take_alert({**draft, "id": "a3"})
    assert ledger.duplicate_alerts() == 1
    assert ledger.repeated_alerts() == {"I-1": ["a1", "a2", "a3"]}


def test_observer_accounts_evidence_dead_letters_and_effects() -> None:
    """Evidence, dead letters and duplicates as the benchmark counts them."""
    mix = Mix(valid={"c1", "c2"}, malformed={"bad-1"})
    obs = SurgeObserver()
    inc = {"id": "I-1", "version": 1, "evidence": [{"id": "c1"}]}
    obs.take("p-incidents", orjson.dumps(inc), 1.0)
    assert obs.missing(mix) == {"c2", "bad-1"}
    obs.take("p-deadletter", orjson.dumps({"event_id": "bad-1", "payload": ""}), 2.0)
    assert obs.dead_at == {"bad-1": 2.0}
    other = {"id": "I-2", "version": 1, "evidence": [{"id": "c1"}, {"id": "c2"}]}
    obs.take("p-incidents", orjson.dumps(other), 3.0)
    assert obs.missing(mix) == set()
    assert obs.duplicates() == 1  # c1 in two incidents


@pytest.mark.parametrize("quick", [True, False])
def test_surge_ramps_to_twenty_times_and_back(quick: bool) -> None:
    """The phases: normal, a ramp to 20×, the surge held, normal again."""
    phases = surge_phases(quick)
    assert [p.name for p in phases] == ["normal", "ramp", "surge", "recovery"]
    ramp = phases[1]
    assert ramp.rate(100, 0) == 100 and ramp.rate(100, ramp.duration_s) == 2000
    assert phases[2].rate(100, 1) == 2000 and phases[3].rate(100, 1) == 100
    total_s = sum(p.duration_s for p in phases)
    assert (total_s <= 60) if quick else (total_s >= 240)
    assert Phase("x", 10, 1, 1).rate(5, 3) == 5
