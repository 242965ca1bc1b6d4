"""Incentives for the demo group (seed_demo), written through the real services, so finance and the managers open
pages with a month to work on:

- monthly targets (目标) for every lead, callback and seller from each branch's 4th programme month (or the whole
  history for a branch without a 续保启动日期) up to today's month — without them a payout run is refused (§7 RAMP);
- team satisfaction scores (满意度) for the last full months, one team below its target (the PENALTY rule);
- a win-back special award (专项奖励) last month;
- payout runs: the month before last prepared by the branch's insurance manager, approved and locked by finance;
  last month prepared by the manager and waiting in draft for finance to approve (maker ≠ checker).
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import date
from decimal import Decimal

from incentives.errors import IncentiveError
from incentives.rules import programme_month_number
from incentives.services import (
    add_special_award,
    approve_payout,
    compute_payout,
    lock_payout,
    set_targets,
    set_team_satisfaction,
)
from incentives.services.payouts import TARGET_ROLES
from policies.models import Branch, Staff
from renewal_desk.months import add_months, month_start
from renewal_desk.roles import Role

TARGET_MONTHS_BACK = 18  # the demo's policy history
SATISFACTION_MONTHS = 3
SATISFACTION_TARGET = Decimal("90.0")
TARGET_BY_ROLE = {Role.LEAD: 40, Role.CALLBACK: 18, Role.SELLER: 10}


def _first(branch: Branch, role: str) -> Staff | None:
    return Staff.objects.filter(branch=branch, active=True, user__groups__name=role).order_by("employee_no").first()


def _target_count(staff: Staff, roles: set[str], rng: random.Random) -> int:
    base = max(TARGET_BY_ROLE[role] for role in roles & set(TARGET_BY_ROLE))
    return base + rng.randrange(-2, 3)


def seed_incentives(*, today: date, seed: int = 2024, payouts: bool = True) -> Counter:
    """Targets always; satisfaction, the special award and the payout runs only with `payouts` (a small demo:
    a benchmark's large one measures its own runs)."""
    rng = random.Random(seed)
    done: Counter = Counter()
    this_month = month_start(today)
    last_month, month_before = add_months(this_month, -1), add_months(this_month, -2)
    finance = Staff.objects.filter(active=True, user__groups__name=Role.FINANCE).order_by("employee_no").first()
    for branch in Branch.objects.order_by("code"):
        lead, manager, gm = _first(branch, Role.LEAD), _first(branch, Role.MANAGER), _first(branch, Role.GM)
        if lead is None or manager is None:
            continue
        done["targets"] += _seed_targets(branch, lead, this_month, rng)
        if not payouts:
            continue
        teams = sorted(
            set(Staff.objects.filter(branch=branch, active=True).exclude(team="").values_list("team", flat=True))
        )
        for back in range(1, SATISFACTION_MONTHS + 1):
            month = add_months(this_month, -back)
            scores = {team: (Decimal(rng.randrange(880, 990)) / 10, SATISFACTION_TARGET) for team in teams}
            if teams:
                scores[teams[(back + branch.pk) % len(teams)]] = (Decimal("86.5"), SATISFACTION_TARGET)
            done["satisfaction"] += set_team_satisfaction(branch=branch, month=month, by=manager, scores=scores)
        winner = (
            Staff.objects.filter(branch=branch, active=True, user__groups__name=Role.SPECIALIST)
            .order_by("employee_no")
            .first()
        )
        if winner is not None and gm is not None:
            add_special_award(
                staff=winner, month=last_month, kind="win_back", amount=Decimal("1000.00"), by=gm,
                note="挽回已在保险公司电销报价的老客户",
            )  # fmt: skip
            done["special_awards"] += 1
        for month, close in ((month_before, True), (last_month, False)):
            try:
                run = compute_payout(branch=branch, month=month, by=manager)
                done["payout_runs"] += 1
                if close and finance is not None:
                    lock_payout(run=approve_payout(run=run, by=finance), by=finance)
                    done["payout_locked"] += 1
            except IncentiveError:
                done["payout_refused"] += 1
    return done


def _seed_targets(branch: Branch, by: Staff, this_month: date, rng: random.Random) -> int:
    people = [
        (staff, set(staff.user.groups.values_list("name", flat=True)))
        for staff in Staff.objects.filter(branch=branch, active=True, user__groups__name__in=TARGET_ROLES)
        .distinct()
        .select_related("user")
        .order_by("employee_no")
    ]
    written = 0
    for back in range(TARGET_MONTHS_BACK, -1, -1):
        month = add_months(this_month, -back)
        number = programme_month_number(branch.programme_start, month)
        if number is not None and number < 4:
            continue  # the ramp window needs no targets; before the programme there is nothing to pay
        counts = {staff.pk: _target_count(staff, roles, rng) for staff, roles in people}
        written += set_targets(branch=branch, month=month, by=by, staff_counts=counts, category_counts={})
    return written
