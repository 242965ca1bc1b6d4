"""Desk activity for the demo group (seed_demo), written through the real services.

- `replay_history`: the months before today as the desk would have lived them — the daily job run for each past
  month's last day, seeing only the renewals signed by then, the reminders of that day sent, the renewals' perks
  issued and some used (perks.demo), and that month's losses proposed and reviewed by the branch's manager — so
  the reports' past months (each read as of its own month-end cut-off), the 12-month trend and the month-on-month
  changes have history to show.
- `simulate_desk_activity`: today's work in progress — contacts, quotes at every level of the ladder (some approved,
  some waiting in the inbox, some accepted), losses proposed and reviewed, an exclusion, and an extra-oil request
  waiting for the deputy GM — so every page has something to show and every case state exists. Bounded per branch,
  so it costs the same at 3,000 and at 1,000,000 policies.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.test.utils import override_settings
from django.utils import timezone

from followups.models import Case, CaseState, ContactResult, FailureReason, QuoteStatus
from followups.models.cases import OPEN_STATES
from followups.rules import CHECKPOINTS
from followups.services import (
    accept_quote,
    create_quote,
    decide_quote,
    log_contact,
    propose_loss,
    review_loss,
    run_daily,
    send_reminders,
)
from policies.models import Branch, Staff
from renewal_desk.months import add_months, month_end, month_start
from renewal_desk.roles import Role

CASES_PER_BRANCH = 40
RATES = [Decimal("0"), Decimal("0.05"), Decimal("0.08"), Decimal("0.10"), Decimal("0.12"), Decimal("0.13")]
PLAIN_REASONS = [
    FailureReason.PRICE,
    FailureReason.INSURER_DIRECT,
    FailureReason.OTHER_CHANNEL,
    FailureReason.UNREACHABLE,
]


HISTORY_MONTHS = 13  # the 12-month trend and its month-on-month change
HISTORY_LOSSES_PER_BRANCH_MONTH = 80  # reviews written per branch and past month (all of them at the demo's size)
LEFT_FOR_TODAY = 12  # per branch, as many as simulate_desk_activity works on
# Why a lost customer went, in the proportions a 4S insurance desk reports (DOMAIN.md §4 codes).
HISTORY_REASONS = (
    [FailureReason.PRICE] * 9 + [FailureReason.INSURER_DIRECT] * 6 + [FailureReason.OTHER_CHANNEL] * 5
    + [FailureReason.UNREACHABLE] * 4 + [FailureReason.NO_GUIDANCE] * 2 + [FailureReason.SERVICE] * 2
    + [FailureReason.CORPORATE, FailureReason.NOT_DRIVING, FailureReason.VEHICLE_SOLD, FailureReason.VEHICLE_SOLD,
       FailureReason.VEHICLE_SCRAPPED, FailureReason.MOVED_AWAY, FailureReason.OTHER]
)  # fmt: skip


def _local(day: date, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def replay_history(*, today: date, months: int = HISTORY_MONTHS, seed: int = 2024) -> Counter:
    """Run the desk's past `months` months up to the month before today's (see the module docstring).

    Reminders go to an in-memory SMS backend (they are history, not messages to print); each past day's events
    carry that day's times, so the reports read the past as it stood then.
    """
    from perks.demo import replay_perks_month

    rng = random.Random(seed)
    done: Counter = Counter()
    first = add_months(month_start(today), -months)
    with override_settings(SMS_BACKEND="followups.sms.LocmemBackend"):
        for offset in range(months):
            day = month_end(add_months(first, offset))
            summary = run_daily(day=day, renewals_signed_by=day)
            done["contacts"] += _call_at_checkpoints(since=month_end(add_months(day, -1)), day=day, rng=rng)
            done["runs"] += 1
            done["cases"] += summary.cases_created
            done["reminders_sent"] += send_reminders(at=_local(day, 10)).sent
            done += replay_perks_month(day=day, rng=rng)
            # Last month's newest losses are still waiting for their reasons today (simulate_desk_activity).
            done += _review_losses(day, rng, leave=LEFT_FOR_TODAY if offset == months - 1 else 0)
    return done


def _call_at_checkpoints(*, since: date, day: date, rng: random.Random) -> int:
    """The assignees' calls at the T−45 / T−33 / T−30 checkpoints that fell in (since, day] (most of them made,
    most of those reaching the customer), for the cases still open on `day`."""
    logged = 0
    cases = (
        Case.objects.filter(state__in=OPEN_STATES, assignee__isnull=False)
        .filter(t_date__gt=since + timedelta(days=min(CHECKPOINTS)), t_date__lte=day + timedelta(days=max(CHECKPOINTS)))
        .select_related("assignee")
        .order_by("pk")
    )
    for case in cases:
        for offset in CHECKPOINTS:
            call_day = case.t_date - timedelta(days=offset)
            if not since < call_day <= day or call_day <= case.created_on or rng.random() < 0.15:
                continue
            result = rng.choice([ContactResult.REACHED] * 7 + [ContactResult.NO_ANSWER] * 2 + [ContactResult.REFUSED])
            try:
                log_contact(
                    case=case, staff=case.assignee, result=result, at=_local(call_day, rng.choice([9, 10, 11, 14, 15])),
                    note="到期提醒：告知续保权益" if result == ContactResult.REACHED else "",
                )  # fmt: skip
            except ValidationError:
                continue
            logged += 1
    return logged


def _review_losses(day: date, rng: random.Random, *, leave: int) -> Counter:
    """Each lost case waiting on `day` (but the `leave` newest) gets its reason from the assignee and the manager's
    review that afternoon."""
    done: Counter = Counter()
    for branch in Branch.objects.order_by("code"):
        manager = _first_with_role(branch, Role.MANAGER)
        if manager is None:
            continue
        pending = list(
            Case.objects.filter(branch=branch, state=CaseState.LOST_PENDING, reason="", assignee__isnull=False)
            .exclude(assignee=manager)
            .select_related("assignee")
            .order_by("t_date", "pk")[:HISTORY_LOSSES_PER_BRANCH_MONTH]
        )
        for case in pending[: max(0, len(pending) - leave)]:
            reason = rng.choice(HISTORY_REASONS)
            text = "客户家人在保险公司工作，由其代办" if reason == FailureReason.OTHER else ""
            try:
                case = propose_loss(case=case, by=case.assignee, reason=reason, reason_text=text, at=_local(day, 16))
                review_loss(case=case, reviewer=manager, approve=True, comment="核实无误", at=_local(day, 18))
            except ValidationError:
                done["refused"] += 1
                continue
            done["losses_reviewed"] += 1
    return done


def _first_with_role(branch: Branch, role: str) -> Staff | None:
    return Staff.objects.filter(branch=branch, active=True, user__groups__name=role).order_by("employee_no").first()


def simulate_desk_activity(*, seed: int = 2024) -> Counter:
    rng = random.Random(seed)
    done: Counter = Counter()
    now = timezone.now()
    for branch in Branch.objects.order_by("code"):
        manager, gm = _first_with_role(branch, Role.MANAGER), _first_with_role(branch, Role.GM)
        deputy = _first_with_role(branch, Role.DEPUTY_GM)
        open_cases = list(
            Case.objects.filter(branch=branch, state=CaseState.FOLLOWING, assignee__isnull=False)
            .select_related("assignee", "expiring_term")
            .order_by("t_date")[:CASES_PER_BRANCH]
        )
        for index, case in enumerate(open_cases):
            try:
                result = rng.choice([ContactResult.REACHED] * 3 + [ContactResult.NO_ANSWER, ContactResult.REFUSED])
                log_contact(
                    case=case, staff=case.assignee, result=result, at=now,
                    next_contact_at=now + timezone.timedelta(days=rng.choice([1, 2, 3])), note="演示：已介绍续保权益",
                )  # fmt: skip
                done["contacts"] += 1
                if index % 2:
                    continue
                term = case.expiring_term
                rate = RATES[index // 2 % len(RATES)]
                quote = create_quote(
                    case=case, staff=case.assignee, insurer="平安产险",
                    premium_compulsory=term.premium_compulsory if term else Decimal("950.00"),
                    premium_commercial=(term and term.premium_commercial) or Decimal("4200.00"),
                    discount_rate=rate, coverages=["车损险", "三者险(100万)", "车上人员"],
                    reason="客户拿到保险公司电销报价，希望再优惠" if rate > Decimal("0.08") else "",
                )  # fmt: skip
                done["quotes"] += 1
                if quote.status == QuoteStatus.PENDING and index % 4 == 0:
                    approver = gm if rate > Decimal("0.10") else manager
                    if approver:
                        quote = decide_quote(quote=quote, approver=approver, approve=True, comment="同意")
                        done["approved"] += 1
                if quote.status in (QuoteStatus.SAVED, QuoteStatus.APPROVED) and index % 3 == 0:
                    accept_quote(quote=quote, by=case.assignee)
                    done["accepted"] += 1
            except ValidationError:
                done["refused"] += 1
        pending = list(
            Case.objects.filter(branch=branch, state=CaseState.LOST_PENDING, reason="", assignee__isnull=False)
            .select_related("assignee")
            .order_by("t_date")[:12]
        )
        for index, case in enumerate(pending):
            try:
                reason = FailureReason.VEHICLE_SOLD if index in (0, 2) else PLAIN_REASONS[index % len(PLAIN_REASONS)]
                case = propose_loss(case=case, by=case.assignee, reason=reason)
                done["losses_proposed"] += 1
                if manager and index % 3 != 2:  # leave some in the reviewers' inbox
                    review_loss(case=case, reviewer=manager, approve=True, comment="核实无误")
                    done["losses_reviewed"] += 1
            except ValidationError:
                done["refused"] += 1
        done["oil_requests"] += _request_oil(branch, deputy)
    return done


def _request_oil(branch: Branch, deputy: Staff | None) -> int:
    """One extra-oil request waiting for the deputy GM, on a renewed term in force."""
    try:
        from perks.errors import PerkError
        from perks.services import issue_renewal_perks, request_extra_oil
    except ImportError:
        return 0
    case = (
        Case.objects.filter(branch=branch, state=CaseState.RENEWED, renewal_term__isnull=False, assignee__isnull=False)
        .select_related("renewal_term", "assignee")
        .order_by("-t_date")
        .first()
    )
    if case is None or deputy is None:
        return 0
    try:
        issue_renewal_perks(term=case.renewal_term)
        request_extra_oil(
            term=case.renewal_term, requester=case.assignee, buckets=2, reason="老客户连续三年续保，申请加送机油"
        )
    except PerkError:
        return 0
    return 1
