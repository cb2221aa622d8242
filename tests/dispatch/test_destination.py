"""Destination ranking: capability by condition, fresh beds before unknown ones, a zero-bed
ER closed until it reports again, stale status flagged and never counted as beds, beds
that may be gone on arrival after those that will still be there."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dispatch.destination import ErReport, beds_on_arrival, observe, rank
from dispatch.hospitals import CONDITIONS, SEVERITIES, Hospital, load_er_rules

RULES = load_er_rules()
NOW = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)
SMALL = Hospital("SMALL", "동네병원", "응급실운영신고기관", 4, 127.0, 37.5, frozenset())
LOCAL = Hospital("LOCAL", "지역기관", "지역응급의료기관", 3, 127.0, 37.5, frozenset())
CENTRE = Hospital(
    "CENTRE", "지역센터", "지역응급의료센터", 2, 127.0, 37.5, frozenset({"pci", "stroke"})
)
REGION = Hospital(
    "REGION", "권역센터", "권역응급의료센터", 1, 127.0, 37.5, frozenset({"pci", "trauma"})
)
HOSPITALS = {h.id: h for h in (SMALL, LOCAL, CENTRE, REGION)}
DRIVE = {"SMALL": 120.0, "LOCAL": 240.0, "CENTRE": 900.0, "REGION": 1500.0}


def fresh(beds: int, **caps: bool) -> ErReport:
    return ErReport(NOW - timedelta(minutes=2), beds, caps)


def test_cardiac_arrest_far_from_the_nearest_er_goes_to_a_pci_capable_one() -> None:
    reports = {h: fresh(5) for h in HOSPITALS}
    ranked = rank("cardiac_arrest", "critical", DRIVE, HOSPITALS, reports, {}, NOW, RULES)
    assert ranked[0].hospital.id == "CENTRE"
    assert ranked[0].capable and "PCI 가능" in ranked[0].reason
    assert not next(o for o in ranked if o.hospital.id == "SMALL").capable


def test_a_minor_patient_goes_to_the_nearest() -> None:
    reports = {h: fresh(5) for h in HOSPITALS}
    assert rank("minor", "minor", DRIVE, HOSPITALS, reports, {}, NOW, RULES)[0].hospital is SMALL


def test_a_fresh_report_of_pci_unavailable_moves_the_patient_on() -> None:
    reports = {h: fresh(5) for h in HOSPITALS} | {"CENTRE": fresh(5, pci=False)}
    ranked = rank("stemi", "critical", DRIVE, HOSPITALS, reports, {}, NOW, RULES)
    assert ranked[0].hospital is REGION


def test_an_er_reporting_zero_beds_receives_none_until_it_reports_again() -> None:
    reports = {h: fresh(5) for h in HOSPITALS} | {"SMALL": fresh(0)}
    ranked = rank("minor", "minor", DRIVE, HOSPITALS, reports, {}, NOW, RULES)
    assert "SMALL" not in {o.hospital.id for o in ranked}
    old_zero = {**reports, "SMALL": ErReport(NOW - timedelta(hours=3), 0, {})}
    ranked = rank("minor", "minor", DRIVE, HOSPITALS, old_zero, {}, NOW, RULES)
    assert "SMALL" not in {o.hospital.id for o in ranked}, "an old zero still closes it"
    reopened = {**reports, "SMALL": fresh(3)}
    ranked = rank("minor", "minor", DRIVE, HOSPITALS, reopened, {}, NOW, RULES)
    assert ranked[0].hospital is SMALL


def test_stale_status_is_flagged_and_its_beds_not_trusted() -> None:
    old = ErReport(NOW - timedelta(seconds=RULES.stale_after_s + 60), 9, {})
    reports = {"SMALL": old, "LOCAL": fresh(2)}
    ranked = rank("minor", "minor", DRIVE, HOSPITALS, reports, {}, NOW, RULES)
    by_id = {o.hospital.id: o for o in ranked}
    assert by_id["SMALL"].stale and by_id["SMALL"].beds_free is None
    assert "오래됨" in by_id["SMALL"].reason
    assert ranked[0].hospital is LOCAL, "fresh beds before a stale figure, though farther"
    assert by_id["CENTRE"].stale and by_id["CENTRE"].status_age_s is None  # never reported


def test_major_trauma_goes_to_a_trauma_centre_with_a_fresh_report_before_a_stale_one() -> None:
    far = Hospital("FAR", "먼권역센터", "권역응급의료센터", 1, 127.2, 37.5, frozenset({"trauma"}))
    hospitals = {**HOSPITALS, "FAR": far}
    drive = {**DRIVE, "FAR": DRIVE["REGION"] + 900.0}  # 15 minutes more
    stale = ErReport(NOW - timedelta(minutes=63), 3, {})
    reports = {h: fresh(5) for h in HOSPITALS} | {"REGION": stale, "FAR": fresh(2)}
    ranked = rank("major_trauma", "critical", drive, hospitals, reports, {}, NOW, RULES)
    assert ranked[0].hospital is far, "a fresh report with a bed before a 63-minute-old one"
    full = {**reports, "FAR": fresh(1)}
    ranked = rank("major_trauma", "critical", drive, hospitals, full, {"FAR": 1}, NOW, RULES)
    assert ranked[0].hospital is REGION and ranked[0].stale, "no fresh centre has room left"
    assert "63분 전 (오래됨) · 병상 미확인" in ranked[0].reason


def test_patients_already_heading_there_count_against_fresh_beds() -> None:
    reports = {h: fresh(2) for h in HOSPITALS}
    ranked = rank("minor", "minor", DRIVE, HOSPITALS, reports, {"SMALL": 2}, NOW, RULES)
    assert ranked[0].hospital is LOCAL
    assert ranked[-1].hospital is SMALL and ranked[-1].beds_free == 0


def test_a_critical_patient_goes_to_a_centre_even_without_a_specific_need() -> None:
    reports = {h: fresh(5) for h in HOSPITALS}
    ranked = rank("medical", "critical", DRIVE, HOSPITALS, reports, {}, NOW, RULES)
    assert ranked[0].hospital is CENTRE


reports_st = st.dictionaries(
    st.sampled_from(sorted(HOSPITALS)),
    st.builds(
        ErReport,
        st.integers(0, 3600).map(lambda s: NOW - timedelta(seconds=s)),
        st.integers(0, 10),
        st.dictionaries(st.sampled_from(["pci", "stroke", "trauma"]), st.booleans()),
    ),
)


@given(
    condition=st.sampled_from(CONDITIONS),
    severity=st.sampled_from(SEVERITIES),
    reports=reports_st,
    incoming=st.dictionaries(st.sampled_from(sorted(HOSPITALS)), st.integers(0, 5)),
)
def test_ranking_invariants(
    condition: str, severity: str, reports: dict[str, ErReport], incoming: dict[str, int]
) -> None:
    ranked = rank(condition, severity, DRIVE, HOSPITALS, reports, incoming, NOW, RULES)
    ids = {o.hospital.id for o in ranked}
    for hid, report in reports.items():
        if report.beds_available == 0:
            assert hid not in ids
    assert [o.tier for o in ranked] == sorted(o.tier for o in ranked)
    for option in ranked:
        if option.stale:
            assert option.beds_free is None
        if option.capable and option.beds_free is not None and option.beds_free > 0:
            first = ranked[0]  # capable with fresh beds free, assured first
            assert first.capable and first.beds_free is not None and first.beds_free > 0
            assert first.assured or not option.assured


def test_the_nearest_er_is_always_listed() -> None:
    reports = {h: fresh(5) for h in HOSPITALS}
    ranked = rank("cardiac_arrest", "critical", DRIVE, HOSPITALS, reports, {}, NOW, RULES, limit=1)
    assert [o.hospital.id for o in ranked] == ["CENTRE", "SMALL"]


def test_beds_that_may_be_gone_on_arrival_rank_after_assured_ones() -> None:
    filling = ErReport(NOW - timedelta(minutes=2), 2, {}, fill_per_s=1 / 300, var_per_s=1 / 600)
    reports = {h: fresh(10) for h in HOSPITALS} | {"CENTRE": filling}
    ranked = rank("stemi", "critical", DRIVE, HOSPITALS, reports, {}, NOW, RULES)
    by_id = {o.hospital.id: o for o in ranked}
    assert ranked[0].hospital is REGION, "the farther centre whose beds will still be there"
    assert not by_id["CENTRE"].assured and "도착 시 병상 불확실" in by_id["CENTRE"].reason
    steady = ErReport(NOW - timedelta(minutes=2), 2, {}, fill_per_s=0.0, var_per_s=1e-6)
    ranked = rank("stemi", "critical", DRIVE, HOSPITALS, reports | {"CENTRE": steady}, {}, NOW,
                  RULES)  # fmt: skip
    assert ranked[0].hospital is CENTRE and ranked[0].assured, "steady beds are counted on"
    stale = {h: ErReport(NOW - timedelta(hours=1), 10, {}) for h in HOSPITALS}
    ranked = rank("stemi", "critical", DRIVE, HOSPITALS, stale | {"CENTRE": filling}, {}, NOW,
                  RULES)  # fmt: skip
    assert ranked[0].hospital is CENTRE, "beds at risk still come before unknown ones"


def test_observe_follows_the_others_filling_and_the_beds_variability() -> None:
    before = ErReport(NOW - timedelta(seconds=300), 8, {})
    after = observe(before, ErReport(NOW, 5, {}), delivered=1, rules=RULES)
    w = RULES.arrival_weight
    assert after.fill_per_s == pytest.approx(w * 2 / 300), "one of the three was ours"
    assert after.var_per_s == pytest.approx(w * 4 / 300 + (1 - w) * RULES.prior_var_per_s)
    assert observe(None, after, 0, RULES) is after
    again = observe(after, ErReport(NOW + timedelta(seconds=300), 5, {}), 0, RULES)
    assert again.fill_per_s == pytest.approx((1 - w) * after.fill_per_s), "a pause decays it"


def test_a_correction_seconds_after_a_report_counts_as_a_change_over_one_refresh() -> None:
    before = ErReport(NOW - timedelta(seconds=2), 0, {})
    quick = observe(before, ErReport(NOW, 3, {}), delivered=0, rules=RULES)
    slow = observe(
        replace(before, at=NOW - timedelta(seconds=RULES.min_interval_s)),
        ErReport(NOW, 3, {}),
        delivered=0,
        rules=RULES,
    )
    assert (quick.fill_per_s, quick.var_per_s) == pytest.approx((slow.fill_per_s, slow.var_per_s))


@given(
    beds=st.integers(0, 40),
    incoming=st.integers(0, 10),
    fill=st.floats(-0.01, 0.01),
    var=st.floats(0.0, 0.05),
    horizon=st.floats(0.0, 7200.0),
    more=st.floats(0.0, 3600.0),
)
def test_beds_on_arrival_never_grow_with_the_horizon_or_the_load(
    beds: int, incoming: int, fill: float, var: float, horizon: float, more: float
) -> None:
    report = ErReport(NOW, beds, {}, fill_per_s=fill, var_per_s=var)
    now = beds_on_arrival(report, incoming, horizon, RULES)
    assert now <= beds - incoming
    assert beds_on_arrival(report, incoming, horizon + more, RULES) <= now + 1e-9
    assert beds_on_arrival(report, incoming + 1, horizon, RULES) <= now - 1 + 1e-9
