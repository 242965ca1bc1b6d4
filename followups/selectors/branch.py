"""Reads for the lead's and approvers' pages: unassigned cases, the board (到期管理表), the inboxes, the send log."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, QuerySet
from django.utils import timezone

from followups import rules
from followups.access import cases_for_user
from followups.models import Case, CaseEvent, CaseState, Contact, Quote, QuoteStatus, ReminderDispatch
from followups.models.cases import OPEN_STATES, REVIEW_STATES
from followups.selectors.today import apply_filters, with_list_columns
from followups.services.common import REVIEWERS, staff_roles
from policies.models import Branch, RetainedCustomer, Staff

BOARD_LIST_LIMIT = 50


def unassigned_cases(*, branch: Branch, filters: dict | None = None, day: date | None = None) -> QuerySet[Case]:
    """Cases of the branch nobody holds yet (待分配, or past T with no assignee), soonest T first."""
    today = day or timezone.localdate()
    cases = Case.objects.filter(branch=branch, assignee__isnull=True, state__in=OPEN_STATES | REVIEW_STATES)
    return with_list_columns(apply_filters(cases, filters, today)).order_by("t_date", "pk")


def expiry_unknown(branch: Branch) -> QuerySet[RetainedCustomer]:
    """保有客户 rows without a 预计到期日: they create no case until someone finds out when the policy ends."""
    return (
        RetainedCustomer.objects.filter(branch=branch, expected_end__isnull=True)
        .select_related("vehicle", "customer", "follow_up")
        .order_by("vehicle__plate", "pk")
    )


def pending_quotes_for(staff: Staff) -> QuerySet[Quote]:
    """Pending discount requests of the staff's branch that their role may decide — never their own."""
    roles = staff_roles(staff)
    levels = [level for level in (rules.LEVEL_MANAGER, rules.LEVEL_GM) if rules.role_can_approve(roles, level)]
    return (
        Quote.objects.filter(status=QuoteStatus.PENDING, level__in=levels, case__branch_id=staff.branch_id)
        .exclude(requested_by=staff)
        .select_related("case__vehicle", "case__customer", "case__assignee", "requested_by", "insurer")
        .order_by("created_at", "pk")
    )


def pending_loss_reviews_for(staff: Staff) -> QuerySet[Case]:
    """战败/不可续 proposals of the branch waiting for a reviewer, other than the ones this person proposed."""
    if not staff_roles(staff) & REVIEWERS:
        return Case.objects.none()
    return (
        Case.objects.filter(branch_id=staff.branch_id, state__in=REVIEW_STATES)
        .exclude(reason="")
        .exclude(proposed_by=staff)
        .select_related("vehicle", "customer", "assignee", "proposed_by")
        .order_by("t_date", "pk")
    )


@dataclass(frozen=True)
class BoardRow:
    assignee: Staff | None
    counts: dict[str, int]
    total: int


@dataclass(frozen=True)
class Compliance:
    assignee: Staff | None
    due: dict[int, int]  # checkpoint → cases whose window is over (or open today)
    done: dict[int, int]  # checkpoint → of which effective

    def rate(self, checkpoint: int) -> float | None:
        return self.done[checkpoint] / self.due[checkpoint] if self.due[checkpoint] else None


@dataclass(frozen=True)
class Board:
    day: date
    states: list[tuple[str, str]]
    rows: list[BoardRow]
    totals: dict[str, int]
    handoff_overdue_count: int
    handoff_overdue: list[Case]
    escalated_count: int
    escalated: list[Case]
    compliance: list[Compliance] = field(default_factory=list)


def board_scope(branch: Branch, day: date) -> QuerySet[Case]:
    """Cases in the job's window plus every case still waiting for someone (open or under review)."""
    first, last = rules.case_window(day)
    return Case.objects.filter(branch=branch).filter(
        Q(t_date__gte=first, t_date__lte=last) | Q(state__in=OPEN_STATES | REVIEW_STATES)
    )


def board(*, branch: Branch, day: date | None = None) -> Board:
    """到期管理表: cases by state × assignee, overdue handoffs, escalations, checkpoint compliance (7 queries)."""
    today = day or timezone.localdate()
    scope = board_scope(branch, today)
    grid: dict[int | None, dict[str, int]] = {}
    for row in scope.values("assignee_id", "state").annotate(n=Count("pk")).order_by():
        grid.setdefault(row["assignee_id"], {})[row["state"]] = row["n"]
    compliance_rows = _compliance(scope, today)
    staff = Staff.objects.in_bulk([pk for pk in set(grid) | set(compliance_rows) if pk is not None])
    rows = [
        BoardRow(assignee=staff.get(pk) if pk else None, counts={s: counts.get(s, 0) for s in CaseState.values},
                 total=sum(counts.values()))
        for pk, counts in sorted(grid.items(), key=lambda item: (item[0] is None, staff[item[0]].employee_no
                                                                  if item[0] else ""))
    ]  # fmt: skip
    totals = {state: sum(row.counts[state] for row in rows) for state in CaseState.values}
    open_scope = scope.filter(state__in=OPEN_STATES)
    overdue = open_scope.filter(handoff_overdue=True)
    escalated = open_scope.filter(escalated_on__isnull=False)
    related = ("vehicle", "customer", "assignee")
    return Board(
        day=today,
        states=list(CaseState.choices),
        rows=rows,
        totals=totals,
        handoff_overdue_count=overdue.count(),
        handoff_overdue=list(overdue.select_related(*related).order_by("t_date", "pk")[:BOARD_LIST_LIMIT]),
        escalated_count=escalated.count(),
        escalated=list(escalated.select_related(*related).order_by("t_date", "pk")[:BOARD_LIST_LIMIT]),
        compliance=[
            Compliance(assignee=staff.get(pk) if pk else None, due=due, done=done)
            for pk, (due, done) in compliance_rows.items()
        ],
    )


def _compliance(scope: QuerySet[Case], today: date) -> dict[int | None, tuple[dict[int, int], dict[int, int]]]:
    """Per assignee and checkpoint: cases whose window has started (and existed before it ended), and effective."""
    aggregates = {}
    for code, first, last in rules.CHECKPOINT_WINDOWS:
        started = Q(t_date__lte=today + timedelta(days=first), lead_days__gte=timedelta(days=last))
        aggregates[f"due_{code}"] = Count("pk", filter=started)
        aggregates[f"done_{code}"] = Count("pk", filter=started & Q(**{f"checkpoint_{code}": True}))
    rows = (
        scope.filter(assignee__isnull=False)
        .annotate(lead_days=ExpressionWrapper(F("t_date") - F("created_on"), output_field=DurationField()))
        .values("assignee_id")
        .annotate(**aggregates)
        .order_by()
    )
    return {
        row["assignee_id"]: (
            {c: row[f"due_{c}"] for c in rules.CHECKPOINTS},
            {c: row[f"done_{c}"] for c in rules.CHECKPOINTS},
        )
        for row in rows
    }


def reminder_log(*, user, day: date | None = None, state: str | None = None) -> QuerySet[ReminderDispatch]:
    """The send log: reminders of the cases the user may see, newest first (phones masked by the template)."""
    dispatches = ReminderDispatch.objects.filter(case__in=cases_for_user(user))
    if day:
        dispatches = dispatches.filter(planned_on=day)
    if state:
        dispatches = dispatches.filter(state=state)
    return dispatches.select_related("case__vehicle", "case__customer", "message").order_by("-planned_on", "-pk")


@dataclass(frozen=True)
class CaseHistory:
    contacts: list[Contact]
    quotes: list[Quote]
    events: list[CaseEvent]
    reminders: list[ReminderDispatch]


def case_history(case: Case) -> CaseHistory:
    """The drawer's history pane: contacts, quotes, events and reminders of one case (4 queries)."""
    return CaseHistory(
        contacts=list(case.contacts.select_related("staff").order_by("-at", "-pk")),
        quotes=list(case.quotes.select_related("insurer", "requested_by", "decided_by").order_by("-created_at", "-pk")),
        events=list(case.events.select_related("actor", "from_assignee", "to_assignee").order_by("-at", "-pk")),
        reminders=list(case.reminders.select_related("message").order_by("-offset_days")),
    )
