"""Today's list (ui/NOTES.md §1): a specialist's open cases, most urgent first, in one query whatever its length.

Urgency (the `urgency` annotation, lower = sooner):
  0 past T (脱保跟进) · 1 T within 15 days · 2 a checkpoint window open today and not yet effective ·
  3 a promised call-back due (today or overdue) · 4 the rest, by T.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import models
from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, QuerySet, Value
from django.utils import timezone

from followups import rules
from followups.models import Case, CaseState
from followups.models.cases import OPEN_STATES
from policies.models import Staff
from policies.validation import half_width
from renewal_desk.months import month_start

URGENCY_LAPSED, URGENCY_DUE_SOON, URGENCY_CHECKPOINT, URGENCY_CALLBACK, URGENCY_LATER = 0, 1, 2, 3, 4
URGENCY_LABELS = {
    URGENCY_LAPSED: "已脱保", URGENCY_DUE_SOON: "15天内到期", URGENCY_CHECKPOINT: "今日检查点",
    URGENCY_CALLBACK: "约定回电", URGENCY_LATER: "按到期日",
}  # fmt: skip
SEARCH_TEXT = re.compile(r"[\s·.\-]")


def end_of_day(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def checkpoint_due_today(today: date) -> Q:
    """A checkpoint window is open today and its effective contact is still missing."""
    condition = Q(pk__in=[])
    for code, first, last in rules.CHECKPOINT_WINDOWS:
        # today ∈ [T − first, T − last]  ⇔  T ∈ [today + last, today + first]
        condition |= Q(**{f"checkpoint_{code}": False, "t_date__gte": today + timedelta(days=last),
                          "t_date__lte": today + timedelta(days=first)})  # fmt: skip
    return condition


def checkpoint_missed(today: date) -> Q:
    """A checkpoint window is over without an effective contact (windows closed before the case existed excluded).

    Needs the `lead_days` annotation (T − created_on)."""
    condition = Q(pk__in=[])
    for code, _, last in rules.CHECKPOINT_WINDOWS:
        condition |= Q(**{f"checkpoint_{code}": False, "t_date__lt": today + timedelta(days=last),
                          "lead_days__gte": timedelta(days=last)})  # fmt: skip
    return condition


def urgency_expression(today: date) -> models.Case:
    return models.Case(
        models.When(t_date__lt=today, then=Value(URGENCY_LAPSED)),
        models.When(t_date__lte=today + timedelta(days=rules.ESCALATION_DAYS), then=Value(URGENCY_DUE_SOON)),
        models.When(checkpoint_due_today(today), then=Value(URGENCY_CHECKPOINT)),
        models.When(next_contact_at__lt=end_of_day(today), then=Value(URGENCY_CALLBACK)),
        default=Value(URGENCY_LATER),
        output_field=models.IntegerField(),
    )


def with_list_columns(cases: QuerySet[Case]) -> QuerySet[Case]:
    """What a list row shows, fetched in the same query: vehicle, customer (masked phone), the latest quote.

    The latest quote is a join on the case's denormalised `last_quote` (kept by the quote service), exposed as
    `last_quote_*` annotations so lists can filter on them (e.g. last_quote_status = pending).
    """
    return cases.select_related("vehicle", "customer", "branch", "last_quote__insurer").annotate(
        last_quote_status=F("last_quote__status"),
        last_quote_level=F("last_quote__level"),
        last_quote_discount_rate=F("last_quote__discount_rate"),
        last_quote_total=ExpressionWrapper(
            F("last_quote__premium_compulsory") + F("last_quote__premium_commercial") - F("last_quote__discount"),
            output_field=models.DecimalField(max_digits=12, decimal_places=2),
        ),
    )


def apply_filters(cases: QuerySet[Case], filters: dict | None, today: date) -> QuerySet[Case]:
    """state, category, insurer (last insurer), days_to_t (T at most N days away, overdue included), q (search)."""
    filters = filters or {}
    state = filters.get("state")
    if state:
        cases = cases.filter(state__in=[state] if isinstance(state, str) else list(state))
    if filters.get("category") not in (None, ""):
        cases = cases.filter(category=int(filters["category"]))
    if filters.get("insurer"):
        cases = cases.filter(previous_insurer=filters["insurer"])
    if filters.get("days_to_t") not in (None, ""):
        cases = cases.filter(t_date__lte=today + timedelta(days=int(filters["days_to_t"])))
    if filters.get("handoff_overdue"):
        cases = cases.filter(handoff_overdue=True)
    query = (filters.get("q") or "").strip()
    if query:
        cases = cases.filter(search_condition(query))
    return cases


def search_condition(query: str) -> Q:
    """Plate, VIN (whole or its tail), customer name, or the last 4 digits of the phone."""
    text = SEARCH_TEXT.sub("", half_width(query)).upper()
    condition = Q(customer__name__icontains=query.strip())
    if text:
        condition |= Q(vehicle__plate__icontains=text)
    if len(text) == 4 and text.isdigit():
        condition |= Q(customer__mobile_last4=text)
    if len(text) >= 6 and text.isalnum():
        condition |= Q(vehicle__vin=text) if len(text) == 17 else Q(vehicle__vin__endswith=text)
    return condition


def today_cases(*, staff: Staff, filters: dict | None = None, day: date | None = None) -> QuerySet[Case]:
    """The open cases assigned to `staff`, annotated with `urgency` and the list columns, most urgent first."""
    today = day or timezone.localdate()
    cases = Case.objects.filter(assignee=staff, state__in=OPEN_STATES)
    cases = apply_filters(cases, filters, today)
    return with_list_columns(cases).annotate(urgency=urgency_expression(today)).order_by("urgency", "t_date", "pk")


def reasons_needed_cases(*, staff: Staff) -> QuerySet[Case]:
    """My 战败待审 cases without a reason yet (moved there after T+7, or created late): I owe the reason."""
    cases = Case.objects.filter(assignee=staff, state=CaseState.LOST_PENDING, reason="")
    return with_list_columns(cases).order_by("t_date", "pk")


@dataclass(frozen=True)
class TodaySummary:
    day: date
    todo: int  # open cases assigned
    urgent: int  # of which urgency 0–3 (the red badge)
    checkpoint_missed: int  # 检查点漏联
    callbacks_due: int  # 约定回电 due today or overdue
    due_within_15: int  # 15 天内到期
    lapsed: int  # 脱保跟进
    reasons_needed: int  # 战败待审 cases of mine still waiting for my reason (past T+7, or late data)
    month_due: int  # cases with T in this month (应续)
    month_renewable: int  # 可续
    month_renewed: int  # 续回


def today_summary(staff: Staff, day: date | None = None) -> TodaySummary:
    today = day or timezone.localdate()
    is_open = Q(state__in=OPEN_STATES)
    this_month = Q(t_month=month_start(today))
    needs_reason = Q(state=CaseState.LOST_PENDING, reason="")
    counts = (
        Case.objects.filter(assignee=staff)
        .filter(is_open | this_month | needs_reason)
        .annotate(
            lead_days=ExpressionWrapper(F("t_date") - F("created_on"), output_field=DurationField()),
            urgency=urgency_expression(today),
        )
        .aggregate(
            todo=Count("pk", filter=is_open),
            urgent=Count("pk", filter=is_open & Q(urgency__lte=URGENCY_CALLBACK)),
            checkpoint_missed=Count("pk", filter=is_open & checkpoint_missed(today)),
            callbacks_due=Count("pk", filter=is_open & Q(next_contact_at__lt=end_of_day(today))),
            due_within_15=Count(
                "pk", filter=is_open & Q(t_date__gte=today, t_date__lte=today + timedelta(days=rules.ESCALATION_DAYS))
            ),
            lapsed=Count("pk", filter=Q(state=CaseState.LAPSED_FOLLOW)),
            reasons_needed=Count("pk", filter=needs_reason),
            month_due=Count("pk", filter=this_month),
            month_renewable=Count("pk", filter=this_month & Q(removed_from_renewable=False)),
            month_renewed=Count("pk", filter=this_month & Q(state=CaseState.RENEWED)),
        )
    )
    return TodaySummary(day=today, **counts)
