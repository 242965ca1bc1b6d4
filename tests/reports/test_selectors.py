from datetime import timedelta
from fractions import Fraction

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from followups.models import Case, CaseEvent
from reports.periods import month_end_cut_off
from reports.rates import format_points, format_rate
from reports.selectors import month_report
from tests.reports.conftest import APRIL, CUT_OFF, MAY, build_world, local

pytestmark = pytest.mark.django_db


def test_branch_figures_of_a_hand_built_month(world):
    report = month_report(month=MAY, cut_off=CUT_OFF)
    bj = report.row_for(world.bj.pk).cohort

    assert (bj.due, bj.excluded, bj.renewable, bj.renewed, bj.full_cover) == (9, 1, 8, 4, 2)
    assert (bj.lost, bj.in_review, bj.open, bj.unresolved) == (2, 1, 2, 3)
    assert bj.rate_due == Fraction(4, 9) and format_rate(bj.rate_due) == "44.4%"
    assert bj.rate_renewable == Fraction(1, 2) and format_rate(bj.rate_renewable) == "50.0%"
    assert bj.full_cover_rate == Fraction(1, 2)
    assert bj.reasons == {"PRICE": 1, "VEHICLE_SOLD": 1}


def test_exclusions_leave_renewable_and_zero_denominators_have_no_rate(world):
    report = month_report(month=MAY, cut_off=CUT_OFF)
    cd = report.row_for(world.cd.pk)
    assert (cd.cohort.due, cd.cohort.excluded, cd.cohort.renewable, cd.cohort.renewed) == (2, 1, 1, 1)
    assert format_rate(cd.cohort.rate_renewable) == "100.0%"
    assert cd.change_points() is None  # no April cases: no change, shown as "—"
    assert format_points(cd.change_points()) == "—"

    sz = report.row_for(world.sz.pk)
    assert (sz.cohort.due, sz.cohort.renewed, sz.sales.total) == (0, 0, 0)
    assert sz.cohort.rate_due is None and sz.cohort.full_cover_rate is None and sz.sales.store_share is None
    assert format_rate(sz.cohort.rate_due) == "—"


def test_every_branch_has_a_row_and_the_division_is_their_sum_with_pooled_rates(world):
    report = month_report(month=MAY, cut_off=CUT_OFF)
    assert [row.code for row in report.branches] == ["BJ01", "CD01", "SZ01"]
    division = report.division.cohort
    assert (division.due, division.excluded, division.renewable, division.renewed, division.full_cover) == (
        11,
        2,
        9,
        5,
        3,
    )
    assert division.rate_due == Fraction(5, 11)  # pooled, not the mean of 44.4% and 50%
    assert format_rate(division.rate_due) == "45.5%"
    assert format_rate(division.rate_renewable) == "55.6%"
    assert format_rate(division.full_cover_rate) == "60.0%"
    assert report.division.categories[1].due == sum(row.categories[1].due for row in report.branches)


def test_month_on_month_change_in_points(world):
    report = month_report(month=MAY, cut_off=CUT_OFF)
    bj = report.row_for(world.bj.pk)
    # April as it stood at its own month-end (05-01 01:00): a3 was renewed only on 05-03.
    assert (bj.previous.due, bj.previous.renewed) == (3, 1)
    assert bj.change_points() == (Fraction(4, 9) - Fraction(1, 3)) * 100
    assert format_points(bj.change_points()) == "+11.1pt"
    assert format_points(report.division.change_points()) == "+12.1pt"  # 5/11 vs 1/3, pooled


def test_a_renewal_recorded_after_the_cut_off_is_not_counted(world):
    before = month_report(month=MAY, cut_off=CUT_OFF).row_for(world.bj.pk)
    later = month_report(month=MAY, cut_off=CUT_OFF + timedelta(hours=2)).row_for(world.bj.pk)
    assert before.cohort.renewed == 4 and later.cohort.renewed == 5
    assert before.sales.total == 5 and later.sales.total == 6


def test_state_as_of_an_earlier_cut_off_comes_from_the_events(world):
    mid_may = local(MAY.replace(day=15), 0)
    bj = month_report(month=MAY, cut_off=mid_may).row_for(world.bj.pk).cohort
    # By 05-15: r1, r2 renewed; l1 and x1 reviewed; p1 not yet proposed; the rest open.
    assert (bj.renewed, bj.lost, bj.excluded, bj.in_review) == (2, 2, 1, 0)


def test_a_case_created_after_the_cut_off_for_an_earlier_day_counts(world):
    # The month-end chain's catch-up creates late cases after 01:00 but for the month's last day.
    case = world.case("catch-up", world.sz, t=MAY.replace(day=30))
    Case.objects.filter(pk=case.pk).update(created_on=MAY.replace(day=31), created_at=CUT_OFF + timedelta(minutes=5))
    CaseEvent.objects.filter(case=case).update(at=CUT_OFF + timedelta(minutes=5))
    assert month_report(month=MAY, cut_off=CUT_OFF).row_for(world.sz.pk).cohort.due == 1
    Case.objects.filter(pk=case.pk).update(created_on=MAY.replace(day=31) + timedelta(days=1))
    assert month_report(month=MAY, cut_off=CUT_OFF).row_for(world.sz.pk).cohort.due == 0


def test_channel_split_and_credits_by_sale_month(world):
    report = month_report(month=MAY, cut_off=CUT_OFF)
    bj = report.row_for(world.bj.pk)
    # r1, r2, r4 and April's a3 in store; r3 telesales; 'late' was recorded after the cut-off.
    assert (bj.sales.store, bj.sales.telesales, bj.sales.total) == (4, 1, 5)
    assert report.row_for(world.cd.pk).sales.total == 0  # c1 was sold in April
    staff = {row.name: row for row in report.staff}
    assert (staff["王芳"].credited_store, staff["王芳"].credited_telesales) == (2, 0)
    assert (staff["李强"].credited_store, staff["李强"].cohort.due) == (1, 0)
    assert (staff["陈晨"].credited_store, staff["陈晨"].credited_telesales) == (0, 1)
    assert staff["赵磊"].credited_store == 2


def test_staff_rows_count_the_assignee_when_the_case_closed(world):
    report = month_report(month=MAY, cut_off=CUT_OFF)
    staff = {row.name: row for row in report.staff}
    wang, chen = staff["王芳"].cohort, staff["陈晨"].cohort
    # r2 was reassigned to 陈晨 after it closed: it stays with 王芳.
    assert (wang.due, wang.renewed, wang.lost, wang.excluded, wang.open) == (5, 2, 2, 1, 1)
    assert (chen.due, chen.renewed, chen.in_review) == (3, 2, 1)
    assert [row.employee_no for row in report.staff] == ["BJ001", "BJ101", "BJ102", "BJ201"]


def test_discount_mix_counts_the_final_accepted_quote_of_each_renewal_sold_in_the_month(world):
    mix = month_report(month=MAY, cut_off=CUT_OFF).row_for(world.bj.pk).mix
    assert mix.buckets == [1, 1, 1, 0, 0]  # r1 0%, r2 8%, r3 10%; 'late' (14%) after the cut-off
    assert mix.no_quote == 2  # r4 and a3
    assert format_rate(mix.share(0)) == "33.3%"
    assert format_points(mix.deviation_points(3)) == "-20.0pt"


def test_category_targets_default_to_the_percent_of_due(world):
    bj = month_report(month=MAY, cut_off=CUT_OFF).row_for(world.bj.pk)
    first = bj.categories[1]
    assert (first.due, first.renewed, first.target, first.gap) == (4, 1, 3, -2)  # ⌈75% × 4⌉ = 3
    assert bj.categories[3].target == 1  # ⌈20% × 2⌉


def test_query_count_does_not_grow_with_the_number_of_cases(world):
    with CaptureQueriesContext(connection) as small:
        month_report(month=MAY, cut_off=CUT_OFF)
    for day in range(1, 25):
        world.case(f"extra{day}", world.sz, t=MAY.replace(day=day), assignee=None)
    with CaptureQueriesContext(connection) as large:
        month_report(month=MAY, cut_off=CUT_OFF)
    assert len(large.captured_queries) == len(small.captured_queries) <= 12


def test_april_is_read_as_of_its_own_month_end(db):
    world = build_world()
    april = month_report(month=APRIL, cut_off=CUT_OFF).row_for(world.bj.pk).cohort
    as_reported = month_report(month=APRIL, cut_off=month_end_cut_off(APRIL)).row_for(world.bj.pk).cohort
    assert april.renewed == 2 and as_reported.renewed == 1  # a3 was renewed on 05-03
    may = month_report(month=MAY, cut_off=CUT_OFF).row_for(world.bj.pk)
    assert may.previous.renewed == 1  # like-for-like: April as it stood on 05-01 01:00
