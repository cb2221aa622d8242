"""En-route diversion: an ER's new report moves the patients it can no longer take (a lost
capability, zero beds, no bed left at their arrival after those ahead), first to arrive
keeps its bed, a marginal change moves nobody, and a patient moves only to a better tier,
never back and at most twice."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from dispatch.destination import ErReport, assess, beds_on_arrival
from dispatch.diversion import Heading, cannot_take, divert_to, follow_report
from dispatch.hospitals import Hospital, load_er_rules

RULES = load_er_rules()
NOW = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)
CENTRE = Hospital(
    "CENTRE", "지역센터", "지역응급의료센터", 2, 127.0, 37.5, frozenset({"pci", "stroke"})
)
OTHER = Hospital("OTHER", "다른센터", "지역응급의료센터", 2, 127.1, 37.5, frozenset({"pci"}))


def steady(beds: int, **caps: bool) -> ErReport:
    """A report just in, of an ER whose beds have been holding."""
    return ErReport(NOW, beds, caps, fill_per_s=0.0, var_per_s=0.0)


def moved_by(report: ErReport, heading: list[Heading], handed_over: int = 0) -> list[str]:
    out: list[str] = []

    def move(h: Heading, cause: str, ahead: int) -> bool:
        out.append(f"{h.key}:{cause}:{ahead}")
        return True

    follow_report(report, heading, handed_over, NOW, RULES, move)
    return out


def test_the_first_to_arrive_keeps_the_last_bed_and_the_rest_are_moved() -> None:
    heading = [Heading("late", 600.0, ()), Heading("soon", 120.0, ()), Heading("mid", 300.0, ())]
    assert moved_by(steady(2), heading) == ["late:no_bed_on_arrival:2"]
    assert moved_by(steady(2), heading, handed_over=1) == [
        "mid:no_bed_on_arrival:2",
        "late:no_bed_on_arrival:2",
    ]


def test_a_crew_still_on_scene_gives_up_the_last_bed_before_one_on_the_road() -> None:
    # the crew on scene is nearer, but it has not left: the ambulance 8 minutes out arrives
    # first, and turning the one on scene costs no drive back
    heading = [Heading("on-road", 480.0, ()), Heading("on-scene", 120.0, (), left=False)]
    assert moved_by(steady(1), heading) == ["on-scene:no_bed_on_arrival:1"]
    both_left = [replace(h, left=True) for h in heading]
    assert moved_by(steady(1), both_left) == ["on-road:no_bed_on_arrival:1"]


def test_zero_beds_or_a_lost_capability_moves_each_patient_it_concerns() -> None:
    heading = [Heading("arrest", 300.0, ("pci",)), Heading("fall", 200.0, ())]
    assert moved_by(steady(0), heading) == ["fall:zero_beds:0", "arrest:zero_beds:0"]
    assert moved_by(steady(4, pci=False), heading) == ["arrest:capability_lost:1"]


def test_a_patient_who_stays_counts_ahead_of_those_behind() -> None:
    heading = [Heading("a", 100.0, ("pci",)), Heading("b", 200.0, ())]
    asked: list[str] = []

    def move(h: Heading, cause: str, ahead: int) -> bool:
        asked.append(f"{h.key}:{cause}:{ahead}")
        return False  # nowhere better: it goes on, and takes the bed

    follow_report(steady(1, pci=False), heading, 0, NOW, RULES, move)
    assert asked == ["a:capability_lost:0", "b:no_bed_on_arrival:1"]


def test_a_crews_own_choice_a_stale_report_or_a_patient_moved_twice_moves_nobody() -> None:
    full = steady(0)
    assert moved_by(full, [Heading("own", 100.0, (), movable=False)]) == []
    assert moved_by(full, [Heading("twice", 100.0, (), diversions=RULES.max_diversions)]) == []
    old = replace(full, at=NOW - timedelta(seconds=RULES.stale_after_s + 1))
    assert moved_by(old, [Heading("x", 100.0, ())]) == []


def test_a_bed_assured_when_sent_is_not_lost_for_a_marginal_change() -> None:
    """Sent on 2 beds assured at ``arrival.z``; a report one bed down at the same spread
    leaves it between the two bars: it stays."""
    moving = ErReport(NOW, 2, {}, fill_per_s=0.0, var_per_s=1.0 / 600)
    heading = Heading("u", 300.0, ())
    assert (
        beds_on_arrival(moving, 0, 300.0, RULES)
        < 1.0
        <= beds_on_arrival(moving, 0, 300.0, RULES, z=RULES.divert_z)
    )
    assert cannot_take(moving, heading, 0, NOW, RULES) is None


def test_a_patient_moves_only_to_an_er_in_a_better_tier() -> None:
    current = assess(CENTRE, 300.0, steady(1), 1, ("pci",), "critical", NOW, RULES)
    assured = assess(OTHER, 900.0, steady(5), 0, ("pci",), "critical", NOW, RULES)
    uncertain = assess(OTHER, 900.0, ErReport(NOW, 1, {}), 0, ("pci",), "critical", NOW, RULES)
    assert current.tier == 6 and assured.tier == 0
    assert divert_to(current, [assured]) is assured
    still = assess(CENTRE, 300.0, ErReport(NOW, 2, {}), 0, ("pci",), "critical", NOW, RULES)
    assert still.tier == 1 and uncertain.tier == 1
    assert divert_to(still, [uncertain]) is None, "from one uncertain bed to another: no"


@given(
    beds=st.integers(0, 6),
    handed_over=st.integers(0, 3),
    drives=st.lists(st.floats(0, 3600), min_size=0, max_size=8),
)
def test_never_more_patients_kept_than_beds_projected(
    beds: int, handed_over: int, drives: list[float]
) -> None:
    report = steady(beds)
    heading = [Heading(f"u{i}", d, ()) for i, d in enumerate(drives)]
    moved = moved_by(report, heading, handed_over)
    kept = len(heading) - len(moved)
    assert kept <= max(0, beds - handed_over)
    assert len(set(moved)) == len(moved), "each patient asked once"
