"""The 12-month renewal-rate trend and the next 12 months of expiries by customer category (dashboard)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from fractions import Fraction

from django.db.models import Case as SqlCase
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Value, When
from django.db.models.functions import TruncMonth

from followups.models import Case
from policies.models import Policy, RetainedCustomer, VehicleTerm
from renewal_desk.months import add_months
from reports.periods import months_ahead, months_back
from reports.selectors.as_of import existed_by
from reports.selectors.figures import CATEGORIES, Counts
from reports.selectors.monthly import CohortReader

TREND_MONTHS = 12
# Assumed in ui/NOTES.md ("to confirm"): the division's targets drawn on the dashboard.
RENEWAL_RATE_TARGET = Fraction(55, 100)
FULL_COVER_TARGET = Fraction(85, 100)
# A 保有客户 case is created about 90 days before T (the daily job's horizon): category 4 asks whether the
# vehicle returned to the workshop within two years of that day.
CASE_LEAD_DAYS = 90


@dataclass
class TrendSeries:
    branch_id: int | None
    name: str
    points: list[Counts] = field(default_factory=list)  # one per month, oldest first

    def rates(self, basis: str) -> list[Fraction | None]:
        return [counts.rate(basis) for counts in self.points]


@dataclass
class Trend:
    months: list[date]
    division: TrendSeries | None
    branches: list[TrendSeries]


def renewal_trend(*, month: date, reader: CohortReader, names: dict[int, str], with_division: bool) -> Trend:
    """Each month's cohort as of its own month-end cut-off (or the report's, if earlier)."""
    months = months_back(month, TREND_MONTHS)
    series = {branch_id: TrendSeries(branch_id, names[branch_id]) for branch_id in reader.branch_ids}
    division = TrendSeries(None, "事业部") if with_division else None
    for each in months:
        counts = reader.counts(each)
        total = Counts()
        for branch_id in reader.branch_ids:
            series[branch_id].points.append(counts[branch_id])
            total.add(counts[branch_id])
        if division is not None:
            division.points.append(total)
    return Trend(months=months, division=division, branches=list(series.values()))


@dataclass
class Expiries:
    months: list[date]
    counts: dict[date, dict[int, int]]  # month → category → vehicles

    def total(self, month: date) -> int:
        return sum(self.counts[month].values())


def upcoming_expiries(*, month: date, cut_off: datetime, branch_ids: list[int]) -> Expiries:
    """Vehicles whose T falls in each of the 12 months after `month`, by customer category.

    Cases are used where the daily job already created them (their category is frozen); beyond its horizon the
    terms sold here are category 1 and dated 保有客户 rows are categories 2, 4 or 3 (precedence 1 > 2 > 4 > 3).
    """
    months = months_ahead(month, 12)
    first, last = months[0], add_months(months[-1], 1) - timedelta(days=1)
    counts: dict[date, dict[int, int]] = {each: dict.fromkeys(CATEGORIES, 0) for each in months}

    cases = Case.objects.filter(existed_by(cut_off), t_month__gte=first, t_month__lte=last, branch_id__in=branch_ids)
    for row in cases.values("t_month", "category").annotate(n=Count("pk")).order_by():
        counts[row["t_month"]][row["category"]] += row["n"]

    has_case = Case.objects.filter(vehicle_id=OuterRef("vehicle_id"), t_month=OuterRef("expiry_month"))
    terms = (
        VehicleTerm.objects.filter(t_date__gte=first, t_date__lte=last, branch_id__in=branch_ids)
        .filter(cancelled_on__isnull=True)
        .filter(Exists(Policy.objects.filter(term=OuterRef("pk"), created_at__lte=cut_off)))
        .annotate(expiry_month=TruncMonth("t_date"))
        .filter(~Exists(has_case))
    )
    for row in terms.values("expiry_month").annotate(n=Count("vehicle_id", distinct=True)).order_by():
        counts[_as_date(row["expiry_month"])][1] += row["n"]

    term_in_month = VehicleTerm.objects.annotate(expiry_month=TruncMonth("t_date")).filter(
        vehicle_id=OuterRef("vehicle_id"), expiry_month=OuterRef("expiry_month"), cancelled_on__isnull=True
    )
    newer_row = RetainedCustomer.objects.filter(
        vehicle_id=OuterRef("vehicle_id"), updated_at__gt=OuterRef("updated_at")
    )
    recent_return = [
        When(
            Q(expiry_month=each, last_return_on__gte=add_months(each - timedelta(days=CASE_LEAD_DAYS), -24)),
            then=Value(4),
        )
        for each in months
    ]
    retained = (
        RetainedCustomer.objects.filter(expected_end__gte=first, expected_end__lte=last, branch_id__in=branch_ids)
        .annotate(expiry_month=TruncMonth("expected_end"))
        .filter(~Exists(has_case), ~Exists(term_in_month), ~Exists(newer_row))
        .annotate(
            category=SqlCase(
                When(~Q(previous_insurer="") & ~Q(previous_policy_no=""), then=Value(2)),
                *recent_return,
                default=Value(3),
                output_field=IntegerField(),
            )
        )
    )
    for row in retained.values("expiry_month", "category").annotate(n=Count("vehicle_id", distinct=True)).order_by():
        counts[_as_date(row["expiry_month"])][row["category"]] += row["n"]
    return Expiries(months=months, counts=counts)


def _as_date(value) -> date:
    return value.date() if isinstance(value, datetime) else value
