"""Desk activity for the demo group (seed_demo), written through the real services: contacts, quotes at every
level of the ladder (some approved, some waiting in the inbox, some accepted), losses proposed and reviewed, an
exclusion, and an extra-oil request waiting for the deputy GM — so every page has something to show and every case
state exists. Bounded per branch, so it costs the same at 3,000 and at 1,000,000 policies."""

from __future__ import annotations

import random
from collections import Counter
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone

from followups.models import Case, CaseState, ContactResult, FailureReason, QuoteStatus
from followups.services import (
    accept_quote,
    create_quote,
    decide_quote,
    log_contact,
    propose_loss,
    review_loss,
)
from policies.models import Branch, Staff
from renewal_desk.roles import Role

CASES_PER_BRANCH = 40
RATES = [Decimal("0"), Decimal("0.05"), Decimal("0.08"), Decimal("0.10"), Decimal("0.12"), Decimal("0.13")]
PLAIN_REASONS = [
    FailureReason.PRICE,
    FailureReason.INSURER_DIRECT,
    FailureReason.OTHER_CHANNEL,
    FailureReason.UNREACHABLE,
]


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
