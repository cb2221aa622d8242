"""Mass-casualty distribution: never past a hospital's reported room, spread rather than
piled on the nearest, critical patients to centres, every patient planned or counted."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from dispatch.hospitals import load_er_rules
from dispatch.mci import Room, distribute, split_untriaged

RULES = load_er_rules()


def _total(plan: dict[str, dict[str, int]], hid: str) -> int:
    return sum(plan.get(hid, {}).values())


def test_thirty_patients_spread_over_at_least_five_hospitals_within_capacity() -> None:
    rooms = [Room(f"H{i}", 300.0 + 60 * i, 1 + i % 4, 6) for i in range(12)]
    plan, unallocated = distribute(split_untriaged(30, RULES), rooms, RULES)
    assert sum(unallocated.values()) == 0
    assert len(plan) >= 5
    assert all(_total(plan, r.hospital_id) <= r.capacity for r in rooms)


def test_the_nearest_hospital_is_not_overwhelmed_even_with_beds() -> None:
    rooms = [Room("NEAR", 200.0, 1, 30), Room("B", 500.0, 1, 30), Room("C", 700.0, 2, 30)]
    plan, _ = distribute({"critical": 10, "serious": 0, "minor": 0}, rooms, RULES)
    assert _total(plan, "NEAR") < 10 and len(plan) == 3


def test_critical_patients_go_to_centres_minor_ones_elsewhere() -> None:
    rooms = [Room("SMALL", 100.0, 4, 10), Room("CENTRE", 400.0, 2, 10)]
    plan, _ = distribute({"critical": 3, "serious": 0, "minor": 3}, rooms, RULES)
    assert plan["CENTRE"]["critical"] == 3
    assert plan["SMALL"]["minor"] == 3


def test_stale_rooms_have_no_capacity_and_the_rest_is_unallocated() -> None:
    rooms = [Room("A", 100.0, 1, 2), Room("STALE", 50.0, 1, 0)]
    plan, unallocated = distribute({"critical": 5, "serious": 0, "minor": 0}, rooms, RULES)
    assert "STALE" not in plan and _total(plan, "A") == 2
    assert unallocated["critical"] == 3


@given(
    patients=st.fixed_dictionaries(
        {s: st.integers(0, 40) for s in ("critical", "serious", "minor")}
    ),
    rooms=st.lists(
        st.builds(
            Room,
            st.text("ABCDEFGH", min_size=1, max_size=3),
            st.floats(0, 3600),
            st.integers(1, 4),
            st.integers(0, 12),
        ),
        max_size=15,
        unique_by=lambda r: r.hospital_id,
    ),
)
def test_distribution_invariants(patients: dict[str, int], rooms: list[Room]) -> None:
    plan, unallocated = distribute(patients, rooms, RULES)
    for room in rooms:
        assert _total(plan, room.hospital_id) <= room.capacity
    for severity, count in patients.items():
        assert sum(p[severity] for p in plan.values()) + unallocated[severity] == count
    room_total = sum(r.capacity for r in rooms)
    assert sum(unallocated.values()) == max(0, sum(patients.values()) - room_total)


@given(st.integers(0, 500))
def test_untriaged_split_adds_up(total: int) -> None:
    assert sum(split_untriaged(total, RULES).values()) == total


def test_docstring_examples() -> None:
    import doctest

    import dispatch.destination
    import dispatch.diversion
    import dispatch.hospitals
    import dispatch.mci

    for module in (dispatch.hospitals, dispatch.mci, dispatch.destination, dispatch.diversion):
        assert doctest.testmod(module).failed == 0


def test_room_is_the_beds_assured_on_arrival_not_the_beds_reported() -> None:
    from datetime import UTC, datetime

    from dispatch.destination import ErReport, room_on_arrival

    now = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)
    filling = ErReport(now, 6, {}, fill_per_s=2 / 600, var_per_s=1 / 600)  # 2 beds / 10 min
    steady = ErReport(now, 6, {}, fill_per_s=0.0, var_per_s=0.0)
    near_s, far_s = 300.0, 1200.0
    assert room_on_arrival(steady, 0, far_s, RULES) == 6
    assert room_on_arrival(filling, 0, near_s, RULES) == 3  # 6 - 1 filled - 1.64 × 0.71
    assert room_on_arrival(filling, 0, far_s, RULES) == 0  # 6 - 4 filled - 1.64 × 1.41
    assert room_on_arrival(filling, 5, near_s, RULES) == 0
    rooms = [
        Room("FILLING", near_s, 1, room_on_arrival(filling, 0, near_s, RULES)),
        Room("STEADY", far_s, 1, room_on_arrival(steady, 0, far_s, RULES)),
    ]
    plan, unallocated = distribute({"critical": 9, "serious": 0, "minor": 0}, rooms, RULES)
    assert _total(plan, "FILLING") == 3 and _total(plan, "STEADY") == 6
    assert unallocated["critical"] == 0
