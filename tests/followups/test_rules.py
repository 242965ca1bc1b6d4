"""The desk's pure rules, edge by edge (no database)."""

from datetime import date, time
from decimal import Decimal as D
from fractions import Fraction

import pytest

from followups import rules


@pytest.mark.parametrize(
    ("t", "expected"),
    [
        (date(2025, 3, 31), date(2025, 2, 28)),  # clamped to February's last day
        (date(2024, 3, 31), date(2024, 2, 29)),  # leap year
        (date(2025, 3, 30), date(2025, 2, 28)),
        (date(2025, 3, 28), date(2025, 2, 28)),  # corresponding day exists
        (date(2025, 5, 31), date(2025, 4, 30)),
        (date(2025, 1, 15), date(2024, 12, 15)),  # across the year
        (date(2025, 7, 1), date(2025, 6, 1)),
    ],
)
def test_handoff_is_due_one_calendar_month_before_t(t, expected):
    assert rules.handoff_due_on(t) == expected


@pytest.mark.parametrize(
    ("t", "in_window"),
    [
        (date(2026, 5, 24), False),  # D − 8
        (date(2026, 5, 25), True),  # D − 7: inclusive
        (date(2026, 6, 1), True),
        (date(2026, 8, 30), True),  # D + 90: inclusive
        (date(2026, 8, 31), False),  # D + 91
    ],
)
def test_case_window_is_d_minus_7_to_d_plus_90_inclusive(t, in_window):
    assert rules.in_case_window(t, date(2026, 6, 1)) is in_window


def test_case_window_horizon_is_configurable():
    assert rules.case_window(date(2026, 6, 1), horizon_days=30) == (date(2026, 5, 25), date(2026, 7, 1))
    assert rules.in_case_window(date(2026, 7, 2), date(2026, 6, 1), horizon_days=30) is False


@pytest.mark.parametrize(
    ("t", "created_on", "overdue"),
    [
        (date(2026, 7, 1), date(2026, 6, 1), False),  # created on the handoff date: in time
        (date(2026, 7, 1), date(2026, 6, 2), True),  # a day after
        (date(2025, 3, 31), date(2025, 2, 28), False),
        (date(2025, 3, 31), date(2025, 3, 1), True),
    ],
)
def test_handoff_overdue_when_created_after_the_handoff_date(t, created_on, overdue):
    assert rules.is_handoff_overdue(t, created_on) is overdue


@pytest.mark.parametrize(
    ("day", "renewed", "assigned", "state"),
    [
        (date(2026, 6, 30), False, False, "unassigned"),  # on T: still before the lapse
        (date(2026, 6, 30), False, True, "following"),
        (date(2026, 7, 1), False, True, "lapsed_follow"),  # T + 1
        (date(2026, 7, 7), False, False, "lapsed_follow"),  # T + 7: still lapse follow-up
        (date(2026, 7, 8), False, True, "lost_pending"),  # T + 8
        (date(2027, 1, 1), False, True, "lost_pending"),
        (date(2026, 7, 8), True, True, "renewed"),
    ],
)
def test_state_implied_by_the_dates(day, renewed, assigned, state):
    assert rules.state_by_dates(t=date(2026, 6, 30), day=day, renewed=renewed, assigned=assigned) == state


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 6, 14), False),  # T − 16
        (date(2026, 6, 15), True),  # T − 15
        (date(2026, 6, 30), True),
    ],
)
def test_escalation_at_t_minus_15(day, expected):
    assert rules.escalation_due(date(2026, 6, 30), day) is expected


T = date(2026, 6, 30)


@pytest.mark.parametrize(
    ("days_before", "checkpoint"),
    [
        (49, None), (48, 45), (45, 45), (42, 45), (41, None), (36, None),
        (35, 33), (33, 33), (32, 33),
        (31, 30), (30, 30), (28, 30), (27, None), (0, None), (-3, None),
    ],
)  # fmt: skip
def test_checkpoint_windows_are_inclusive_and_do_not_overlap(days_before, checkpoint):
    from datetime import timedelta

    assert rules.checkpoint_for(T - timedelta(days=days_before), T) == checkpoint


def test_checkpoint_status_for_the_three_dots():
    from datetime import timedelta

    assert rules.checkpoint_status(checkpoint=45, t=T, today=T - timedelta(days=50), done=False) == rules.UPCOMING
    assert rules.checkpoint_status(checkpoint=45, t=T, today=T - timedelta(days=45), done=False) == rules.TODAY
    assert rules.checkpoint_status(checkpoint=45, t=T, today=T - timedelta(days=41), done=False) == rules.MISSED
    assert rules.checkpoint_status(checkpoint=45, t=T, today=T - timedelta(days=41), done=True) == rules.DONE
    late = T - timedelta(days=20)
    assert rules.checkpoint_status(checkpoint=45, t=T, today=late, done=False, created_on=late) == rules.NOT_APPLICABLE


@pytest.mark.parametrize(
    ("moment", "quiet"),
    [
        (time(20, 59), False),
        (time(20, 59, 59), False),
        (time(21, 0), True),
        (time(23, 30), True),
        (time(0, 0), True),
        (time(8, 59), True),
        (time(8, 59, 59), True),
        (time(9, 0), False),
        (time(12, 0), False),
    ],
)
def test_quiet_hours_are_21_to_9(moment, quiet):
    assert rules.is_quiet_hour(moment) is quiet


@pytest.mark.parametrize(
    ("days_before_t", "offset"),
    [
        (31, None),  # not yet
        (30, 30),  # due from T − 30
        (16, 30),
        (15, 15),  # 30 and 15 both due: only the latest
        (8, 15),
        (7, 7),
        (0, 7),  # still due on T
        (-1, None),  # after T: never
    ],
)
def test_only_the_latest_due_offset_is_sent(days_before_t, offset):
    from datetime import timedelta

    assert rules.due_offset(t=T, day=T - timedelta(days=days_before_t)) == offset


def test_due_t_ranges_partition_the_reminder_horizon():
    day = date(2026, 6, 1)
    offsets = (30, 15, 7)
    ranges = {o: rules.due_t_range(o, day=day, offsets=offsets) for o in offsets}
    assert ranges == {
        7: (date(2026, 6, 1), date(2026, 6, 8)),
        15: (date(2026, 6, 9), date(2026, 6, 16)),
        30: (date(2026, 6, 17), date(2026, 7, 1)),
    }
    from datetime import timedelta

    for n in range(0, 40):
        t = day + timedelta(days=n)
        expected = rules.due_offset(t=t, day=day, offsets=offsets)
        found = [o for o, (first, last) in ranges.items() if first <= t <= last]
        assert found == ([expected] if expected else [])


@pytest.mark.parametrize(
    ("rate", "level"),
    [
        (D("0"), "none"),
        (D("0.000001"), "specialist"),
        (D("0.08"), "specialist"),  # exactly 8%
        (D("0.080001"), "manager"),  # 8.0001%
        (Fraction(8, 100) + Fraction(1, 10**12), "manager"),  # a hair above 8%, exactly
        (D("0.0801"), "manager"),
        (D("0.10"), "manager"),  # exactly 10%
        (D("0.100001"), "gm"),
        (D("0.1001"), "gm"),
        (D("0.13"), "gm"),
        (D("0.14"), "gm"),  # exactly 14%
        (D("0.140001"), "refused"),  # just above 14%
        (D("0.1401"), "refused"),
        (D("0.5"), "refused"),
    ],
)
def test_discount_ladder_edges(rate, level):
    assert rules.discount_level(rate) == level


def test_negative_discount_is_an_error():
    with pytest.raises(ValueError):
        rules.discount_level(D("-0.01"))


@pytest.mark.parametrize(
    ("roles", "level", "allowed"),
    [
        ({"specialist"}, "specialist", True),
        ({"specialist"}, "manager", False),
        ({"callback"}, "specialist", True),
        ({"lead"}, "manager", False),
        ({"manager"}, "manager", True),
        ({"manager"}, "gm", False),  # a manager may not approve a GM-level discount
        ({"deputy_gm"}, "manager", True),  # the deputy GM has a manager's authority
        ({"deputy_gm"}, "gm", False),
        ({"gm"}, "manager", True),  # a higher role approves anything a lower one may
        ({"gm"}, "gm", True),
        ({"gm"}, "refused", False),
        ({"finance", "admin"}, "specialist", False),
        ({"specialist", "gm"}, "gm", True),  # several roles: the highest counts
        (set(), "none", True),
    ],
)
def test_authority_ladder(roles, level, allowed):
    assert rules.role_can_approve(roles, level) is allowed


@pytest.mark.parametrize(
    ("start_on", "ok"),
    [
        (date(2026, 5, 1), False),  # 60 days before T: too early to be this expiry's renewal
        (date(2026, 5, 2), True),
        (date(2026, 7, 1), True),  # continuous
        (date(2026, 7, 31), True),  # T + 1 + 30: lapsed, still a renewal
        (date(2026, 8, 1), False),  # beyond the grace: new business
    ],
)
def test_renewal_start_window(start_on, ok):
    assert rules.renewal_start_ok(start_on=start_on, t=T) is ok
