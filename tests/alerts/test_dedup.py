"""De-duplication: a second report of the same hazard nearby becomes an Update."""

from __future__ import annotations

from datetime import timedelta

from alert_samples import CITY_HALL, LITERAL_DISTRICTS, NOW, gas_leak

from alerts import AlertContext, AlertStatus, MsgType, approve, draft_alert, mark_sent


def _sent_first(policy):
    first = draft_alert(gas_leak("inc-gas-1"), LITERAL_DISTRICTS, now=NOW, policy=policy)
    assert first.action == "new" and first.alert is not None
    return mark_sent(approve(first.alert, "kim", NOW), "kim", NOW, policy, live=True)


def test_second_gas_leak_report_updates_the_first_alert(policy):
    first = _sent_first(policy)
    later = NOW + timedelta(minutes=12)
    second = draft_alert(
        gas_leak("inc-gas-2", lon=CITY_HALL[0] + 0.002, lat=CITY_HALL[1]),
        LITERAL_DISTRICTS,
        now=later,
        existing=[first],
        policy=policy,
    )
    assert second.action == "update" and second.duplicate_of == first.id
    upd = second.alert
    assert upd is not None
    assert upd.id == first.id and upd.msg_type is MsgType.UPDATE and upd.revision == 2
    assert upd.status is AlertStatus.DRAFT and upd.approvals == ()
    assert [r.identifier for r in upd.references] == [first.cap_identifier]
    assert upd.incident_ids == ("inc-gas-1", "inc-gas-2")
    assert upd.area.covers(first.area.buffer(-1e-5))  # merged area keeps the first one
    assert upd.audit[-1].action == "update"


def test_second_report_before_sending_merges_into_the_draft(policy):
    draft = draft_alert(gas_leak("inc-gas-1"), LITERAL_DISTRICTS, now=NOW, policy=policy).alert
    assert draft is not None
    out = draft_alert(
        gas_leak("inc-gas-2"),
        LITERAL_DISTRICTS,
        now=NOW + timedelta(minutes=1),
        existing=[approve(draft, "kim", NOW)],
        policy=policy,
    )
    assert out.action == "merged" and out.alert is not None
    assert out.alert.msg_type is MsgType.ALERT and out.alert.revision == 1
    assert out.alert.status is AlertStatus.DRAFT and out.alert.approvals == ()


def test_other_hazard_far_away_or_old_is_a_new_alert(policy):
    first = _sent_first(policy)
    flood = AlertContext("inc-flood", "flood", 2, *CITY_HALL, NOW + timedelta(minutes=5), sensors=1)
    assert (
        draft_alert(
            flood, LITERAL_DISTRICTS, now=flood.opened_at, existing=[first], policy=policy
        ).action
        == "new"
    )
    far = gas_leak("inc-gas-far", lon=CITY_HALL[0] + 0.05)
    assert (
        draft_alert(far, LITERAL_DISTRICTS, now=NOW, existing=[first], policy=policy).action
        == "new"
    )
    late = NOW + timedelta(seconds=policy.dedup_window_s + 1)
    assert (
        draft_alert(
            gas_leak("inc-gas-late"), LITERAL_DISTRICTS, now=late, existing=[first], policy=policy
        ).action
        == "new"
    )


def test_a_surge_of_folds_keeps_the_audit_bounded_and_every_incident_id(policy):
    from alerts.draft import MAX_FOLD_ENTRIES

    alert = draft_alert(gas_leak("inc-gas-0"), LITERAL_DISTRICTS, now=NOW, policy=policy).alert
    assert alert is not None
    for i in range(1, 3 * MAX_FOLD_ENTRIES):
        at = NOW + timedelta(seconds=i)
        out = draft_alert(
            gas_leak(f"inc-gas-{i}"), LITERAL_DISTRICTS, now=at, existing=[alert], policy=policy
        )
        assert out.action == "merged" and out.alert is not None
        alert = out.alert
    folds = [e for e in alert.audit if e.action in ("merged", "folded")]
    assert len(folds) == MAX_FOLD_ENTRIES + 1
    last = 3 * MAX_FOLD_ENTRIES - 1
    assert folds[-1].action == "folded"
    assert folds[-1].detail.startswith(f"{last} incidents folded in; latest: inc-gas-{last} ")
    assert alert.incident_ids == tuple(f"inc-gas-{i}" for i in range(3 * MAX_FOLD_ENTRIES))
