"""Payout runs on constructed months (DOMAIN.md §7): which renewals count, for whom, and how much."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incentives.errors import MissingTargets
from incentives.models import PayoutRun
from incentives.selectors import payout_sheet_rows
from incentives.services import compute_payout, set_targets
from policies.models import Channel
from renewal_desk.roles import Role
from tests.factories import make_branch, make_staff
from tests.incentives.builders import cases, renewal

pytestmark = pytest.mark.django_db
D = Decimal
MAY = date(2026, 5, 1)


def sheet(run: PayoutRun) -> dict[str, dict]:
    return {row["工号"]: row for row in payout_sheet_rows(run)}


def test_telesales_renewals_pay_half_for_every_role(cd01, people):
    # given two in-store and two telesales renewals crediting the same three people
    for day, channel in ((5, Channel.STORE), (6, Channel.STORE), (7, Channel.TELESALES), (8, Channel.TELESALES)):
        renewal(cd01, signed_on=date(2026, 5, day), channel=channel,
                callback=people["yang"], seller=people["seller"], lead=people["lead"])  # fmt: skip
    # when
    rows = sheet(compute_payout(branch=cd01, month=MAY, by=people["finance"]))
    # then callback 2×20 + 2×10, seller 2×50 + 2×25, lead 2×10 + 2×5
    assert rows["CD0102"]["提成"] == D("60.00")
    assert rows["CD0201"]["提成"] == D("150.00")
    assert rows["CD0101"]["提成"] == D("30.00")
    assert (rows["CD0102"]["到店单数"], rows["CD0102"]["电销单数"]) == (2, 2)


def test_one_person_in_two_roles_earns_both_and_counts_the_renewal_once(cd01, people):
    renewal(cd01, signed_on=date(2026, 5, 5), callback=people["yang"], seller=people["yang"])
    renewal(cd01, signed_on=date(2026, 5, 6), channel=Channel.TELESALES, callback=people["yang"], lead=people["yang"])
    row = sheet(compute_payout(branch=cd01, month=MAY, by=None))["CD0102"]
    assert row["提成"] == D("20") + D("50") + D("10") + D("5")
    assert (row["到店单数"], row["电销单数"]) == (1, 1)
    assert row["合计"] == D("85.00")


def test_renewals_count_in_their_sale_month_only_and_cancelled_ones_not_at_all(cd01, people):
    renewal(cd01, signed_on=date(2026, 4, 30), callback=people["yang"])  # April's
    renewal(cd01, signed_on=date(2026, 5, 1), callback=people["yang"])
    renewal(cd01, signed_on=date(2026, 5, 31), callback=people["yang"])
    cancelled, _ = renewal(cd01, signed_on=date(2026, 5, 15), callback=people["yang"])
    _cancel(cancelled)
    row = sheet(compute_payout(branch=cd01, month=MAY, by=None))["CD0102"]
    assert row["到店单数"] == 2
    assert row["提成"] == D("40.00")


def test_bonus_and_salary_belong_to_the_assignee_of_the_cohort_cases(cd01, people):
    # 黄磊: 12 cases due in May, 1 excluded (可续 11), 9 renewed, 8 of them full cover
    cases(cd01, assignee=people["huang"], t_month=MAY, due=12, renewed=9, full_cover=8, removed=1)
    row = sheet(compute_payout(branch=cd01, month=MAY, by=None))["CD0104"]
    # r = 9/11 > 70% → B 1.8; f = 8/9 in [70%, 90%) linear → A = 8/9; 2000 × 1.8 × 8/9 = 3200
    assert row["系数奖金"] == D("3200.00")
    # 续保率 9/12 = 75% < 80% → 0; the sale dates of those renewals are long past: no commission
    assert row["续保率奖金"] == D("0.00")
    assert row["提成"] == D("0.00")


def test_salary_bonus_at_eighty_and_ninety_percent(cd01, people):
    cases(cd01, assignee=people["yang"], t_month=MAY, due=10, renewed=8, full_cover=8)
    cases(cd01, assignee=people["huang"], t_month=MAY, due=10, renewed=9, full_cover=9)
    rows = sheet(compute_payout(branch=cd01, month=MAY, by=None))
    assert rows["CD0102"]["续保率奖金"] == D("450.00")  # 10% of 4,500
    assert rows["CD0104"]["续保率奖金"] == D("675.00")  # 15% of 4,500


@pytest.fixture
def ramp_branch(db):
    branch = make_branch("RP01", name="破冰店", programme_start=date(2026, 3, 10))
    return branch, make_staff(branch, Role.LEAD, employee_no="RP0101", name="破冰负责人")


def _sell(branch, count: int, month: int, *, lead=None, telesales: int = 0):
    for index in range(count):
        channel = Channel.TELESALES if index < telesales else Channel.STORE
        renewal(branch, signed_on=date(2026, month, 1 + index), lead=lead, channel=channel)


def test_ramp_threshold_not_reached_with_nineteen_window_renewals(ramp_branch):
    branch, lead = ramp_branch
    _sell(branch, 10, 3, lead=lead)
    _sell(branch, 9, 4, lead=lead)
    row = sheet(compute_payout(branch=branch, month=date(2026, 4, 1), by=None))["RP0101"]
    assert row["破冰奖励"] == D("0.00")


def test_ramp_twentieth_renewal_pays_retroactively_for_the_whole_window(ramp_branch):
    branch, lead = ramp_branch
    _sell(branch, 10, 3, lead=lead, telesales=2)  # March: 8 in store, 2 telesales
    _sell(branch, 10, 4, lead=None)  # April: no lead credited → the branch's lead
    april = sheet(compute_payout(branch=branch, month=date(2026, 4, 1), by=None))["RP0101"]
    # every window renewal so far, each at its channel: 18 × 20 + 2 × 10
    assert april["破冰奖励"] == D("380.00")
    _sell(branch, 2, 5, lead=lead)
    may = sheet(compute_payout(branch=branch, month=date(2026, 5, 1), by=None))["RP0101"]
    assert may["破冰奖励"] == D("40.00")  # later window months: 20 per new renewal
    _sell(branch, 1, 6, lead=lead)
    set_targets(branch=branch, month=date(2026, 6, 1), by=_admin(branch), staff_counts={lead.pk: 5}, category_counts={})
    june = sheet(compute_payout(branch=branch, month=date(2026, 6, 1), by=None))["RP0101"]
    assert june["破冰奖励"] == D("0.00")  # nothing after the window


def test_from_month_four_every_lead_callback_and_seller_needs_a_target(cd01, people):
    cd01.programme_start = date(2026, 1, 1)
    cd01.save()
    renewal(cd01, signed_on=date(2026, 5, 5), callback=people["yang"])
    with pytest.raises(MissingTargets) as refused:
        compute_payout(branch=cd01, month=MAY, by=people["finance"])
    assert refused.value.missing == ["CD0101 陈志强", "CD0102 杨雪", "CD0104 黄磊", "CD0201 王顾问"]
    assert "CD0101 陈志强" in refused.value.message and "目标" in refused.value.message
    assert not PayoutRun.objects.exists()
    counts = {person.pk: 10 for key, person in people.items() if key in ("lead", "yang", "huang", "seller")}
    set_targets(branch=cd01, month=MAY, by=people["manager"], staff_counts=counts, category_counts={1: 30})
    assert compute_payout(branch=cd01, month=MAY, by=people["finance"]).line_count == 1


def test_a_branch_without_a_programme_start_is_past_its_window(cd01, people):
    cd01.programme_start = None
    cd01.save()
    renewal(cd01, signed_on=date(2026, 5, 5), lead=people["lead"])
    with pytest.raises(MissingTargets):
        compute_payout(branch=cd01, month=MAY, by=None)


def test_team_leader_below_target_among_the_lowest_pays_two_percent(cd01, people):
    from incentives.models import SpecialAward, TeamSatisfaction

    SpecialAward.objects.create(staff=people["huang"], month=MAY, kind="win_back", amount=D("1000.00"),
                                entered_by=people["manager"])  # fmt: skip
    TeamSatisfaction.objects.create(branch=cd01, team="续保二组", month=MAY, score=D("86.5"), target=D("90"))
    TeamSatisfaction.objects.create(branch=cd01, team="续保一组", month=MAY, score=D("95"), target=D("90"))
    row = sheet(compute_payout(branch=cd01, month=MAY, by=None))["CD0104"]
    assert (row["专项奖励"], row["扣款"], row["合计"]) == (D("1000.00"), D("20.00"), D("980.00"))


def test_compute_payout_queries_do_not_grow_with_renewals(cd01, people):
    def queries() -> int:  # a recomputation (the run and its lines exist: they are replaced)
        compute_payout(branch=cd01, month=MAY, by=people["finance"])
        with CaptureQueriesContext(connection) as captured:
            compute_payout(branch=cd01, month=MAY, by=people["finance"])
        return len(captured)

    for index in range(10):
        renewal(cd01, signed_on=date(2026, 5, 1 + index % 28), callback=people["yang"], assignee=people["yang"],
                seller=people["seller"], lead=people["lead"], t_date=date(2026, 5, 20))  # fmt: skip
    with_ten = queries()
    for index in range(90):
        credited = people["yang"] if index % 2 else people["huang"]
        renewal(cd01, signed_on=date(2026, 5, 1 + index % 28), callback=credited, assignee=credited,
                channel=Channel.TELESALES if index % 3 else Channel.STORE, t_date=date(2026, 5, 20))  # fmt: skip
    with_hundred = queries()
    assert with_hundred == with_ten
    assert with_hundred <= 40


def _cancel(term):
    from policies.models import Policy
    from policies.services import rebuild_terms

    Policy.objects.filter(term=term).update(cancelled_on=date(2026, 6, 2))
    rebuild_terms([term.vehicle_id])


def _admin(branch):
    return make_staff(branch, Role.ADMIN, employee_no=f"{branch.code}99")


def test_computing_all_branches_at_once_gives_the_same_sheets_as_one_branch_at_a_time(cd01, people):
    from incentives.services import compute_all_payouts

    other = make_branch("SH01", name="上海浦东店", programme_start=date(2026, 4, 1))
    for day in (5, 6, 7):
        renewal(
            cd01, signed_on=date(2026, 5, day), callback=people["yang"], seller=people["seller"], lead=people["lead"]
        )
    one_by_one = sheet(compute_payout(branch=cd01, month=MAY, by=people["finance"]))

    outcome = compute_all_payouts(month=MAY, by=people["finance"])

    assert set(outcome) == {"CD01", "SH01"}
    assert sheet(outcome["CD01"]) == one_by_one
    assert isinstance(outcome[other.code], PayoutRun)  # a branch in its ramp window needs no targets
