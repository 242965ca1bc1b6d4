"""Reads of the follow-up desk for pages, badges and reports (DESIGN.md: selectors never write)."""

from __future__ import annotations

from django.utils import timezone

from followups.access import case_for_user, cases_for_user
from followups.models import Case
from followups.models.cases import OPEN_STATES, REVIEW_STATES
from followups.selectors.branch import (
    Board,
    BoardRow,
    CaseHistory,
    Compliance,
    board,
    case_history,
    expiry_unknown,
    pending_loss_reviews_for,
    pending_quotes_for,
    reminder_log,
    unassigned_cases,
)
from followups.selectors.today import (
    URGENCY_CALLBACK,
    URGENCY_LABELS,
    TodaySummary,
    reasons_needed_cases,
    today_cases,
    today_summary,
)
from renewal_desk.access import staff_of

__all__ = [
    "URGENCY_LABELS",
    "Board",
    "BoardRow",
    "CaseHistory",
    "Compliance",
    "TodaySummary",
    "board",
    "case_for_user",
    "case_history",
    "cases_for_user",
    "expiry_unknown",
    "overdue_handoff_count",
    "pending_approvals_count",
    "pending_loss_reviews_for",
    "pending_quotes_for",
    "reasons_needed_cases",
    "reminder_log",
    "today_cases",
    "today_count",
    "today_summary",
    "unassigned_cases",
    "unassigned_count",
]


# --- navigation badges: (request) -> int, 0 for a login without a staff row ------------------------------


def today_count(request) -> int:
    """Red badge of 今日跟进: my open cases that need something today (urgency 0–3)."""
    staff = staff_of(request.user)
    if staff is None:
        return 0
    return today_cases(staff=staff, day=timezone.localdate()).filter(urgency__lte=URGENCY_CALLBACK).count()


def overdue_handoff_count(request) -> int:
    """Grey badge of 到期管理: open cases of my branch that arrived after their handoff date and nobody holds."""
    staff = staff_of(request.user)
    if staff is None:
        return 0
    return Case.objects.filter(
        branch_id=staff.branch_id, state__in=OPEN_STATES, handoff_overdue=True, assignee__isnull=True
    ).count()


def unassigned_count(request) -> int:
    staff = staff_of(request.user)
    if staff is None:
        return 0
    return Case.objects.filter(
        branch_id=staff.branch_id, assignee__isnull=True, state__in=OPEN_STATES | REVIEW_STATES
    ).count()


def pending_approvals_count(request) -> int:
    """Red badge of 审批收件箱: discount requests I may decide, 战败/不可续 reviews and extra-oil requests for me."""
    from perks.selectors import pending_oil_count  # the inbox shows perks' oil cards too

    staff = staff_of(request.user)
    if staff is None:
        return 0
    return pending_quotes_for(staff).count() + pending_loss_reviews_for(staff).count() + pending_oil_count(request)
