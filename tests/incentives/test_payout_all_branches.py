"""Every branch's payout at once (compute_all_payouts): set-based across branches — the same queries for two
branches as for four — and the same lines, adjustments and refusals as computing each branch on its own."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from followups.models import CaseState
from incentives.errors import IncentiveError, MissingTargets
from incentives.models import PayoutLine, PayoutRun, SpecialAward, TeamSatisfaction
from incentives.services import (
    approve_payout,
    compute_all_payouts,
    compute_payout,
    lock_payout,
    set_targets,
)
from policies.models import Branch, Channel, Policy
from policies.services import rebuild_terms
from renewal_desk.roles import Role
from tests.factories import make_branch, make_staff
from tests.incentives.builders import cases, cohort_case, renewal

pytestmark = pytest.mark.django_db
MARCH, APRIL, MAY = date(2026, 3, 1), date(2026, 4, 1), date(2026, 5, 1)


@pytest.fixture
def office(db):
    """The group's finance (two people: maker ≠ checker) and a manager, in a head-office branch with no sales."""
    head = make_branch("HQ01", name="集团总部", programme_start=None)
    return {
        "finance": make_staff(head, Role.FINANCE, employee_no="HQ0901"),
        "finance2": make_staff(head, Role.FINANCE, employee_no="HQ0902"),
        "manager": make_staff(head, Role.MANAGER, Role.GM, employee_no="HQ0701"),
    }


def busy_branch(number: int, office: dict) -> dict:
    """A branch with a month of everything: renewals on both channels crediting every role, assigned cohorts in
    April and May (the improvement award), a team below its satisfaction target, a special award, April locked and
    then one of its renewals cancelled (an adjustment in May). Odd branches are in their ramp window in May (no
    targets needed); even ones are past it, with targets."""
    code = f"T{number:02d}"
    in_window = number % 2 == 1
    branch = make_branch(code, name=f"测试{number}店", programme_start=MARCH if in_window else date(2025, 1, 1))
    lead = make_staff(branch, Role.LEAD, employee_no=f"{code}01", team="一组")
    first = make_staff(branch, Role.SPECIALIST, Role.CALLBACK, employee_no=f"{code}02", team="一组",
                       base_salary=Decimal("4500.00"))  # fmt: skip
    second = make_staff(branch, Role.SPECIALIST, Role.CALLBACK, employee_no=f"{code}03", team="二组",
                        is_team_leader=True, base_salary=Decimal("4200.00"))  # fmt: skip
    seller = make_staff(branch, Role.SELLER, employee_no=f"{code}04", team="一组")
    if not in_window:
        counts = {person.pk: 5 for person in (lead, first, second, seller)}
        for month in (APRIL, MAY):
            set_targets(branch=branch, month=month, by=office["manager"], staff_counts=counts, category_counts={})
    april_sales = []
    for index in range(3):
        term, _ = renewal(branch, signed_on=date(2026, 4, 3 + index), t_date=date(2026, 4, 20), callback=first,
                          seller=seller if index % 2 == 0 else None, lead=lead, assignee=first)  # fmt: skip
        april_sales.append(term)
    for index in range(2 + number % 3):
        renewal(branch, signed_on=date(2026, 5, 4 + index), t_date=date(2026, 5, 18),
                channel=Channel.TELESALES if index % 2 else Channel.STORE, callback=first if index % 2 else second,
                seller=seller, lead=None if index == 1 else lead, assignee=second, full_cover=index != 2)  # fmt: skip
    cases(branch, assignee=first, t_month=APRIL, due=8, renewed=4, full_cover=3)
    cases(branch, assignee=second, t_month=APRIL, due=6, renewed=2, full_cover=2)
    cases(branch, assignee=first, t_month=MAY, due=10, renewed=8 + number % 2, full_cover=7, removed=1)
    cases(branch, assignee=second, t_month=MAY, due=9, renewed=7, full_cover=7)
    cohort_case(branch, assignee=None, t_date=date(2026, 5, 25), state=CaseState.LOST)  # unassigned: branch rate
    TeamSatisfaction.objects.create(branch=branch, team="一组", month=MAY, score=Decimal("95"), target=Decimal("90"))
    TeamSatisfaction.objects.create(branch=branch, team="二组", month=MAY, score=Decimal("86"), target=Decimal("90"))
    SpecialAward.objects.create(staff=second, month=MAY, kind="win_back", amount=Decimal("1000.00"),
                                entered_by=office["manager"])  # fmt: skip
    april = compute_payout(branch=branch, month=APRIL, by=office["finance"])
    lock_payout(run=approve_payout(run=april, by=office["finance2"]), by=office["finance2"])
    cancelled = april_sales[0]
    Policy.objects.filter(term=cancelled).update(cancelled_on=date(2026, 5, 6))
    rebuild_terms([cancelled.vehicle_id])
    return {"branch": branch, "lead": lead}


def lines_of(run: PayoutRun) -> list[dict]:
    return list(
        PayoutLine.objects.filter(run=run)
        .order_by("employee_no", "adjusts_month")
        .values(
            "employee_no", "name", "roles", "store_count", "telesales_count", "commission", "ramp", "bonus", "salary",
            "team", "rank", "special", "penalty", "total", "rule_version_label", "explanation", "adjusts_month",
            "adjustment_of", "note",
        )
    )  # fmt: skip


def test_all_branches_at_once_pay_what_each_branch_computed_alone_pays(office):
    # given four busy branches, and a branch whose May is refused for want of targets
    for number in range(1, 5):
        busy_branch(number, office)
    late = make_branch("T09", name="缺目标店", programme_start=date(2025, 1, 1))
    make_staff(late, Role.SELLER, employee_no="T0904")
    alone = {}
    for branch_code in ("T01", "T02", "T03", "T04"):
        run = compute_payout(branch=Branch.objects.get(code=branch_code), month=MAY, by=office["finance"])
        alone[branch_code] = (run.total, run.line_count, run.ramp_note, lines_of(run))
    # when
    outcome = compute_all_payouts(month=MAY, by=office["finance"])
    # then every branch's run has the same lines, adjustments included, as when it was computed alone
    for branch_code, (total, line_count, ramp_note, lines) in alone.items():
        run = outcome[branch_code]
        assert (run.total, run.line_count, run.ramp_note, lines_of(run)) == (total, line_count, ramp_note, lines)
    assert all(lines_of(outcome[code])[0]["rule_version_label"] == "v1" for code in alone)
    adjusted = [line for code in alone for line in lines_of(outcome[code]) if line["adjusts_month"] == APRIL]
    assert adjusted and all(line["adjustment_of"] is not None for line in adjusted)
    lead = next(line for line in lines_of(outcome["T01"]) if line["employee_no"] == "T0101")
    assert lead["explanation"]["components"]["ramp"]["reason"]["key"] == "below_ramp_threshold"  # in its window
    assert any(line["team"] for code in alone for line in lines_of(outcome[code]))  # the improvement award
    assert any(line["penalty"] for line in lines_of(outcome["T02"]))  # 二组 below target, among the lowest
    # and a refusal is returned, not raised, beside the other branches' runs (the head office's is empty)
    assert isinstance(outcome["T09"], MissingTargets) and outcome["T09"].missing == ["T0904 员工T0904"]
    assert not PayoutRun.objects.filter(branch__code="T09").exists()
    assert outcome["HQ01"].line_count == 0


def test_all_branches_at_once_refuse_a_locked_month_and_a_preparer_without_the_role(office):
    first = busy_branch(1, office)["branch"]
    busy_branch(2, office)
    outcome = compute_all_payouts(month=APRIL, by=office["finance"])  # April is locked in both
    assert {code: type(value) for code, value in outcome.items() if code != "HQ01"} == {
        "T01": IncentiveError, "T02": IncentiveError,
    }  # fmt: skip
    assert "已锁定" in outcome["T01"].message
    specialist = make_staff(first, Role.SPECIALIST, employee_no="T0199")
    refused = compute_all_payouts(month=MAY, by=specialist)
    assert all(isinstance(value, IncentiveError) and "角色" in value.message for value in refused.values())
    assert not PayoutRun.objects.filter(month=MAY).exists()


def test_computing_all_branches_costs_the_same_queries_for_two_branches_as_for_four(office):
    def queries() -> int:  # a recomputation: the drafts and their lines exist and are replaced
        compute_all_payouts(month=MAY, by=office["finance"])
        with CaptureQueriesContext(connection) as captured:
            compute_all_payouts(month=MAY, by=office["finance"])
        return len(captured)

    for number in (1, 2):
        busy_branch(number, office)
    with_two = queries()
    for number in (3, 4):
        busy_branch(number, office)
    with_four = queries()
    assert with_four == with_two
    assert with_four <= 25
