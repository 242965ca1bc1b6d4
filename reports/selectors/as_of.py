"""Cases as they stood at a cut-off (数据截至), rebuilt from the times the desk recorded (DOMAIN.md §12).

A case counts once it existed by the cut-off: recorded by then, or created for an earlier business day (the
month-end chain's run_daily catch-up creates the month's late cases after 01:00 but for the month's last day).
Its state is the one its events say it had then:

1. nothing changed after the cut-off → the current state;
2. else the latest state the events recorded by then (the creation event always counts), or the state the
   first later change came from;
3. a case with no events at all that was closed after the cut-off was still open then.

The assignee that counts is the one assigned when the case closed, or at the cut-off if it was still open
(the payout uses the same rule), rebuilt the same way from the assignment events.

Everything is a SQL expression: the figures are grouped in the database, never looped per case in Python.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import (
    BigIntegerField,
    CharField,
    DateTimeField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models import Case as SqlCase
from django.db.models.functions import Coalesce
from django.utils import timezone

from followups.models import Case, CaseEvent
from followups.models.cases import CLOSED_STATES, OPEN_STATES, REVIEW_STATES, CaseState

STILL_OPEN = CaseState.FOLLOWING  # the state a case with no history is taken to have had before it closed


def existed_by(cut_off: datetime) -> Q:
    cut_day = timezone.localtime(cut_off).date()
    return Q(created_at__lte=cut_off) | Q(created_on__lt=cut_day)


def state_at_expression(cut_off: datetime) -> SqlCase:
    events = CaseEvent.objects.filter(case=OuterRef("pk")).exclude(to_state="")
    known = events.filter(Q(at__lte=cut_off) | Q(kind=CaseEvent.Kind.CREATED))
    later = events.filter(at__gt=cut_off).exclude(kind=CaseEvent.Kind.CREATED)
    latest_known = known.order_by("-at", "-pk").values("to_state")[:1]
    first_later = later.exclude(from_state="").order_by("at", "pk").values("from_state")[:1]
    return SqlCase(
        When(
            Exists(later),
            then=Coalesce(Subquery(latest_known), Subquery(first_later), Value(STILL_OPEN), output_field=CharField()),
        ),
        When(Q(closed_at__gt=cut_off) & ~Exists(events), then=Value(STILL_OPEN)),
        default=F("state"),
        output_field=CharField(),
    )


def cases_as_of(cut_off: datetime) -> QuerySet[Case]:
    """Cases that existed at the cut-off, annotated with `state_at` (their state then)."""
    return Case.objects.filter(existed_by(cut_off)).annotate(state_at=state_at_expression(cut_off))


def with_assignee_at(cases: QuerySet[Case], cut_off: datetime) -> QuerySet[Case]:
    """Adds `assignee_at_id`: the assignee when the case closed, or at the cut-off if open then.

    Expects `cases` from cases_as_of (it reads `state_at`).
    """
    state_events = CaseEvent.objects.filter(case=OuterRef("pk")).exclude(to_state="")
    closing = (
        state_events.filter(Q(at__lte=cut_off) | Q(kind=CaseEvent.Kind.CREATED), to_state__in=CLOSED_STATES)
        .order_by("-at", "-pk")
        .values("at")[:1]
    )
    reference = SqlCase(
        When(state_at__in=CLOSED_STATES, then=Coalesce(Subquery(closing), Value(cut_off))),
        default=Value(cut_off),
        output_field=DateTimeField(),
    )
    assignments = CaseEvent.objects.filter(case=OuterRef("pk"), kind=CaseEvent.Kind.ASSIGNED)
    after = assignments.filter(at__gt=OuterRef("reference_at"))
    before = assignments.filter(at__lte=OuterRef("reference_at"))
    return cases.annotate(reference_at=reference).annotate(
        assignee_at_id=SqlCase(
            When(~Exists(after), then=F("assignee_id")),
            When(Exists(before), then=Subquery(before.order_by("-at", "-pk").values("to_assignee_id")[:1])),
            default=Subquery(after.order_by("at", "pk").values("from_assignee_id")[:1]),
            output_field=BigIntegerField(),
        )
    )


def is_open(state: str) -> bool:
    return state in OPEN_STATES


def is_in_review(state: str) -> bool:
    return state in REVIEW_STATES
