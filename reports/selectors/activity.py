"""日报 / 周报 per specialist (DOMAIN.md §8, §12): counted by local date within the day or ISO week.

due = cases with T in the period (their assignee as of the cut-off); contacted / effective = cases with a contact /
an effective contact the person logged in the period; quotes = quotes the person made; renewals and 战败 = cases
that reached 已续回 / a reviewed 战败 in the period, for the person assigned when they closed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from followups.models import CaseEvent, Contact, Quote
from followups.models.cases import CaseState
from policies.models import Branch, Staff
from renewal_desk.roles import Role
from reports.periods import local_range
from reports.selectors.as_of import cases_as_of, with_assignee_at

DESK_ROLES = (Role.SPECIALIST, Role.CALLBACK)


@dataclass
class ActivityRow:
    branch_name: str
    staff_id: int
    employee_no: str
    name: str
    due: int = 0
    contacted: int = 0
    effective: int = 0
    quotes: int = 0
    renewals: int = 0
    lost_by_reason: dict[str, int] = field(default_factory=dict)

    @property
    def lost(self) -> int:
        return sum(self.lost_by_reason.values())


@dataclass
class ActivityReport:
    first_day: date
    last_day: date
    cut_off: datetime
    rows: list[ActivityRow]

    @property
    def totals(self) -> ActivityRow:
        total = ActivityRow("", 0, "", "合计")
        for row in self.rows:
            total.due += row.due
            total.contacted += row.contacted
            total.effective += row.effective
            total.quotes += row.quotes
            total.renewals += row.renewals
            for reason, count in row.lost_by_reason.items():
                total.lost_by_reason[reason] = total.lost_by_reason.get(reason, 0) + count
        return total

    @property
    def reasons(self) -> list[str]:
        """The reasons that occur, in code order (the table's columns)."""
        from reports.selectors.figures import REASONS

        seen = {reason for row in self.rows for reason in row.lost_by_reason}
        return [reason.value for reason in REASONS if reason.value in seen]


def activity_report(
    *, first_day: date, last_day: date, branch_ids: list[int], staff_id: int | None = None, now: datetime | None = None
) -> ActivityReport:
    start, end = local_range(first_day, last_day)
    cut_off = min(now or timezone.now(), end)
    rows: dict[int, ActivityRow] = {}

    people = Staff.objects.filter(branch_id__in=branch_ids).select_related("branch")
    if staff_id is not None:
        people = people.filter(pk=staff_id)
    desk = people.filter(active=True, user__groups__name__in=DESK_ROLES).distinct()

    def row_of(person_id: int) -> ActivityRow | None:
        return rows.get(person_id)

    def ensure(person: Staff) -> None:
        rows.setdefault(person.pk, ActivityRow(person.branch.name, person.pk, person.employee_no, person.name))

    for person in desk:
        ensure(person)

    cases = with_assignee_at(cases_as_of(cut_off).filter(branch_id__in=branch_ids), cut_off)
    counted: dict[str, dict[int, int]] = defaultdict(dict)
    due = cases.filter(t_date__gte=first_day, t_date__lte=last_day, assignee_at_id__isnull=False)
    counted["due"] = _by_person(due.values("assignee_at_id"), "assignee_at_id")

    contacts = Contact.objects.filter(case__branch_id__in=branch_ids, at__gte=start, at__lt=cut_off)
    counted["contacted"] = _by_person(contacts.values("staff_id"), "staff_id", distinct="case_id")
    counted["effective"] = _by_person(
        contacts.filter(effective=True).values("staff_id"), "staff_id", distinct="case_id"
    )

    quotes = Quote.objects.filter(case__branch_id__in=branch_ids, created_at__gte=start, created_at__lt=cut_off)
    counted["quotes"] = _by_person(quotes.values("requested_by_id"), "requested_by_id")

    def reached(*states: str):
        return Exists(CaseEvent.objects.filter(case=OuterRef("pk"), to_state__in=states, at__gte=start, at__lt=cut_off))

    renewed = cases.filter(reached(CaseState.RENEWED), state_at=CaseState.RENEWED, assignee_at_id__isnull=False)
    counted["renewals"] = _by_person(renewed.values("assignee_at_id"), "assignee_at_id")

    lost = cases.filter(
        reached(CaseState.LOST, CaseState.EXCLUDED),
        Q(state_at=CaseState.LOST) | Q(state_at=CaseState.EXCLUDED),
        assignee_at_id__isnull=False,
    )
    lost_rows = lost.values("assignee_at_id", "reason").annotate(n=Count("pk")).order_by()

    touched = set().union(*(set(values) for values in counted.values()), {r["assignee_at_id"] for r in lost_rows})
    missing = touched - set(rows)
    for person in Staff.objects.filter(pk__in=missing).select_related("branch"):
        if staff_id is None or person.pk == staff_id:
            ensure(person)
    for name, values in counted.items():
        for person_id, count in values.items():
            row = row_of(person_id)
            if row is not None:
                setattr(row, name, count)
    for entry in lost_rows:
        row = row_of(entry["assignee_at_id"])
        if row is not None:
            row.lost_by_reason[entry["reason"]] = row.lost_by_reason.get(entry["reason"], 0) + entry["n"]

    order = {branch.pk: branch.code for branch in Branch.objects.filter(pk__in=branch_ids)}
    people_branch = dict(Staff.objects.filter(pk__in=list(rows)).values_list("pk", "branch_id"))
    ordered = sorted(rows.values(), key=lambda r: (order.get(people_branch.get(r.staff_id), ""), r.employee_no))
    return ActivityReport(first_day=first_day, last_day=last_day, cut_off=cut_off, rows=ordered)


def _by_person(queryset, key: str, *, distinct: str | None = None) -> dict[int, int]:
    counter = Count(distinct, distinct=True) if distinct else Count("pk")
    return {row[key]: row["n"] for row in queryset.annotate(n=counter).order_by() if row[key] is not None}
