"""The demo group shows the desk at work: every case state, quotes at every step, reviews and an oil request —
and a past that the reports can read: months replayed as they happened, payout runs, targets and stored 战报表."""

import pytest
from django.utils import timezone

from followups.models import Case, CaseState, Contact, Quote, QuoteStatus
from incentives.models import PayoutRun, Target
from policies.demo import seed_demo
from policies.models import Branch
from renewal_desk.months import add_months, month_start
from reports.models import ReportFile, ReportKind
from reports.periods import month_end_cut_off
from reports.selectors.monthly import month_report

pytestmark = pytest.mark.django_db


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def demo(today):
    return seed_demo(policies=1500, today=today)


def test_seed_demo_leaves_cases_in_every_state_and_work_in_every_inbox(demo):
    states = set(Case.objects.values_list("state", flat=True))
    assert states == set(CaseState.values)
    assert {QuoteStatus.SAVED, QuoteStatus.PENDING, QuoteStatus.APPROVED, QuoteStatus.ACCEPTED} <= set(
        Quote.objects.values_list("status", flat=True)
    )
    assert Contact.objects.count() >= 40
    from perks.models import OilRequest

    assert OilRequest.objects.filter(status="pending").exists()


def test_past_months_read_as_of_their_own_cut_off_have_cases_renewals_and_reviewed_losses(demo, today):
    # given the demo's replayed history, when last month and the one before are read as the 1st's build read them
    this_month = month_start(today)
    for month in (add_months(this_month, -1), add_months(this_month, -2)):
        report = month_report(month=month, cut_off=month_end_cut_off(month))
        # then they were there at the time: due cases, renewals and 战败 closed by a review
        assert report.division.cohort.due > 0, month
        assert report.division.cohort.renewed > 0, month
        assert 0 < report.division.cohort.renewed < report.division.cohort.due, month
    assert Case.objects.filter(
        state=CaseState.LOST, reviewed_at__lt=month_end_cut_off(add_months(this_month, -2))
    ).exists()
    # and the renewals' perks were issued and some used then (the 战报表's 权益 sheet)
    from perks.selectors import perk_cost

    last_month = add_months(this_month, -1)
    assert sum(perk_cost(branch, last_month) for branch in Branch.objects.all()) > 0
    # and the cases were created month by month, not all today
    assert Case.objects.filter(created_on__lt=add_months(this_month, -6)).exists()
    assert Case.objects.filter(created_on=today).count() < Case.objects.count() // 4


def test_finance_finds_a_locked_month_and_a_draft_to_approve(demo, today):
    this_month = month_start(today)
    runs = {(run.branch.code, run.month): run.state for run in PayoutRun.objects.select_related("branch")}
    for branch in Branch.objects.all():
        assert runs[(branch.code, add_months(this_month, -2))] == PayoutRun.State.LOCKED
        assert runs[(branch.code, add_months(this_month, -1))] == PayoutRun.State.DRAFT
        draft = PayoutRun.objects.get(branch=branch, month=add_months(this_month, -1))
        assert draft.prepared_by is not None and not draft.prepared_by.user.groups.filter(name="finance").exists()
        assert Target.objects.filter(branch=branch, month=this_month, staff__isnull=False).exists() or (
            branch.programme_start and branch.programme_start > add_months(this_month, -3)
        )
    last_month = add_months(this_month, -1)
    battle = ReportFile.objects.filter(kind=ReportKind.BATTLE, month=last_month)
    assert battle.filter(branch__isnull=True).count() == 1
    assert battle.filter(branch__isnull=False).count() == Branch.objects.count()
