"""The month's figures per branch and for the division: the single source of the dashboard, the 战报表 and the
reports pages (DOMAIN.md §8, §12). A bounded number of grouped queries, whatever the number of cases.

Cohort figures (应续, 可续, 续回, rates, categories, 战败, staff) count cases with T in the month, as of the
cut-off. The channel split, the credited renewals and the discount mix count renewals sold in the month
(签单月), whatever their T month; they have their own totals.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from fractions import Fraction

from django.db.models import Count, OuterRef, QuerySet, Subquery

from followups.models import Quote, QuoteStatus
from followups.models.cases import CaseState
from policies.models import Branch, Channel, Staff
from renewal_desk.months import previous_month
from reports.periods import cut_off_for_month, month_bounds
from reports.selectors import sources
from reports.selectors.as_of import cases_as_of, with_assignee_at
from reports.selectors.figures import (
    CATEGORIES,
    BranchMonth,
    Counts,
    DiscountMix,
    MonthReport,
    SaleFigures,
    StaffRow,
    discount_bucket,
)


class CohortReader:
    """Reads cohort counts per branch, memoised: the report's month as of the cut-off, earlier months as of their
    own month-end cut-off (as they were reported; see periods.cut_off_for_month).

    One instance serves one page or workbook, so the trend, the previous month and the month itself are each
    queried once.
    """

    def __init__(self, *, month: date, cut_off: datetime, branch_ids: list[int]):
        self.month = month
        self.cut_off = cut_off
        self.branch_ids = branch_ids
        self._cache: dict[date, dict[int, dict[int, Counts]]] = {}

    def by_category(self, month: date) -> dict[int, dict[int, Counts]]:
        """{branch_id: {category: Counts}} for the cohort of `month`."""
        if month not in self._cache:
            cut_off = self.cut_off if month >= self.month else cut_off_for_month(month, self.cut_off)
            groups = (
                cases_as_of(cut_off)
                .filter(t_month=month, branch_id__in=self.branch_ids)
                .values("branch_id", "category", "state_at", "reason", "renewal_term__full_cover")
                .annotate(n=Count("pk"))
                .order_by()
            )
            result: dict[int, dict[int, Counts]] = {b: {c: Counts() for c in CATEGORIES} for b in self.branch_ids}
            for row in groups:
                result[row["branch_id"]][row["category"]].add_case_group(
                    state=row["state_at"],
                    reason=row["reason"],
                    full_cover=row["renewal_term__full_cover"],
                    count=row["n"],
                )
            self._cache[month] = result
        return self._cache[month]

    def counts(self, month: date) -> dict[int, Counts]:
        """{branch_id: Counts} for the cohort of `month` (categories folded)."""
        folded = {}
        for branch_id, categories in self.by_category(month).items():
            total = Counts()
            for counts in categories.values():
                total.add(counts)
            folded[branch_id] = total
        return folded


def report_branches(branch_ids: Iterable[int] | None = None) -> list[Branch]:
    branches = Branch.objects.order_by("code")
    if branch_ids is not None:
        branches = branches.filter(pk__in=list(branch_ids))
    return list(branches)


def sold_in_month(month: date, cut_off: datetime, branch_ids: list[int]) -> QuerySet:
    """Cases renewed by the cut-off whose renewal was sold (签单日期) in `month`; counted for the case's branch."""
    first, last = month_bounds(month)
    return cases_as_of(cut_off).filter(
        state_at=CaseState.RENEWED,
        renewal_term__isnull=False,
        renewal_term__signed_on__gte=first,
        renewal_term__signed_on__lte=last,
        branch_id__in=branch_ids,
    )


def final_accepted_discount(cut_off: datetime) -> Subquery:
    accepted = Quote.objects.filter(case=OuterRef("pk"), status=QuoteStatus.ACCEPTED, created_at__lte=cut_off)
    return Subquery(accepted.order_by("-created_at", "-pk").values("discount_rate")[:1])


def month_report(*, month: date, cut_off: datetime, branch_ids: Iterable[int] | None = None) -> MonthReport:
    """Every figure of the month. With branch_ids=None every branch has a row and the division total is added."""
    branches = report_branches(branch_ids)
    ids = [branch.pk for branch in branches]
    reader = CohortReader(month=month, cut_off=cut_off, branch_ids=ids)
    return build_month_report(
        month=month, cut_off=cut_off, branches=branches, reader=reader, with_division=branch_ids is None
    )


def build_month_report(
    *, month: date, cut_off: datetime, branches: list[Branch], reader: CohortReader, with_division: bool
) -> MonthReport:
    ids = [branch.pk for branch in branches]
    current = reader.by_category(month)
    previous = reader.counts(previous_month(month))
    targets = sources.category_targets(month, ids)
    sales, credits = _sales_and_credits(month, cut_off, ids)
    mixes = _discount_mixes(month, cut_off, ids)

    rows = []
    for branch in branches:
        row = BranchMonth(branch.pk, branch.code, branch.name)
        for category, counts in current[branch.pk].items():
            row.cohort.add(counts)
            figures = row.categories[category]
            figures.due, figures.renewed = counts.due, counts.renewed
            figures.target_override = targets.get((branch.pk, category))
        row.previous = previous[branch.pk]
        row.sales = sales[branch.pk]
        row.mix = mixes[branch.pk]
        rows.append(row)

    division = None
    if with_division:
        division = BranchMonth(None, "", "事业部合计")
        for row in rows:
            division.add(row)
    staff = _staff_rows(month, cut_off, branches, credits)
    return MonthReport(month=month, cut_off=cut_off, branches=rows, division=division, staff=staff)


def _sales_and_credits(
    month: date, cut_off: datetime, branch_ids: list[int]
) -> tuple[dict[int, SaleFigures], dict[tuple[int, int], list[int]]]:
    """Channel split per branch, and per (branch, staff) [store, telesales] credited renewals (each once)."""
    sales = {branch_id: SaleFigures() for branch_id in branch_ids}
    credits: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0])
    groups = (
        sold_in_month(month, cut_off, branch_ids)
        .values(
            "branch_id",
            "renewal_term__channel",
            "renewal_term__callback_id",
            "renewal_term__seller_id",
            "renewal_term__lead_id",
        )
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in groups:
        telesales = row["renewal_term__channel"] == Channel.TELESALES
        figures = sales[row["branch_id"]]
        if telesales:
            figures.telesales += row["n"]
        else:
            figures.store += row["n"]
        credited = {row["renewal_term__callback_id"], row["renewal_term__seller_id"], row["renewal_term__lead_id"]}
        for staff_id in credited - {None}:
            credits[(row["branch_id"], staff_id)][1 if telesales else 0] += row["n"]
    return sales, credits


def _discount_mixes(month: date, cut_off: datetime, branch_ids: list[int]) -> dict[int, DiscountMix]:
    mixes = {branch_id: DiscountMix() for branch_id in branch_ids}
    groups = (
        sold_in_month(month, cut_off, branch_ids)
        .annotate(final_discount=final_accepted_discount(cut_off))
        .values("branch_id", "final_discount")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in groups:
        mix = mixes[row["branch_id"]]
        if row["final_discount"] is None:
            mix.no_quote += row["n"]
        else:
            mix.buckets[discount_bucket(Fraction(row["final_discount"]))] += row["n"]
    return mixes


def _staff_rows(
    month: date, cut_off: datetime, branches: list[Branch], credits: dict[tuple[int, int], list[int]]
) -> list[StaffRow]:
    ids = [branch.pk for branch in branches]
    names = {branch.pk: branch.name for branch in branches}
    groups = (
        with_assignee_at(cases_as_of(cut_off).filter(t_month=month, branch_id__in=ids), cut_off)
        .filter(assignee_at_id__isnull=False)
        .values("branch_id", "assignee_at_id", "state_at", "reason", "renewal_term__full_cover")
        .annotate(n=Count("pk"))
        .order_by()
    )
    cohorts: dict[tuple[int, int], Counts] = defaultdict(Counts)
    for row in groups:
        cohorts[(row["branch_id"], row["assignee_at_id"])].add_case_group(
            state=row["state_at"], reason=row["reason"], full_cover=row["renewal_term__full_cover"], count=row["n"]
        )
    keys = set(cohorts) | set(credits)
    people = Staff.objects.filter(pk__in={staff_id for _, staff_id in keys}).prefetch_related("user__groups")
    by_id = {person.pk: person for person in people}
    rows = []
    for branch_id, staff_id in keys:
        person = by_id[staff_id]
        store, telesales = credits.get((branch_id, staff_id), (0, 0))
        rows.append(
            StaffRow(
                branch_id=branch_id,
                branch_name=names[branch_id],
                staff_id=staff_id,
                employee_no=person.employee_no,
                name=person.name,
                roles=_role_labels(person),
                cohort=cohorts.get((branch_id, staff_id), Counts()),
                credited_store=store,
                credited_telesales=telesales,
            )
        )
    order = {branch.pk: index for index, branch in enumerate(branches)}
    return sorted(rows, key=lambda r: (order[r.branch_id], r.employee_no))


def _role_labels(person: Staff) -> str:
    from renewal_desk.roles import Role

    labels = dict(Role.choices)
    return "、".join(labels[code] for code in Role.values if code in person.roles)
