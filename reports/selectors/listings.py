"""Row listings for exports: the 续保客户登记表 (renewals sold in the month) and the 到期管理表 (the month's cases).

Both return plain dicts from one query, streamed in chunks, so an export of 100,000 rows stays in constant memory.
The register's rows are exactly the renewals behind the 汇总's 到店 + 电销 (same selector: sold_in_month).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from followups.models import Contact, Quote
from policies.models import Policy, PolicyKind, Staff
from reports.selectors.as_of import cases_as_of, with_assignee_at
from reports.selectors.monthly import sold_in_month

CHUNK = 2000

REGISTER_FIELDS = (
    "pk", "branch__name", "customer_name", "customer_mobile", "vehicle__plate", "vehicle__vin", "vehicle__model_name",
    "new_insurer", "compulsory_no", "commercial_no", "renewal_term__premium_compulsory",
    "renewal_term__premium_commercial", "renewal_term__full_cover", "renewal_term__start_on", "renewal_term__t_date",
    "renewal_term__channel", "renewal_term__signed_on", "renewal_term__callback_id", "renewal_term__seller_id",
    "renewal_term__lead_id", "assignee_at_id", "category",
)  # fmt: skip


def _policy_of(kind: str, field: str) -> Subquery:
    policies = Policy.objects.filter(term=OuterRef("renewal_term_id"), kind=kind, cancelled_on__isnull=True)
    return Subquery(policies.order_by("-signed_on", "-pk").values(field)[:1])


def register_queryset(*, month: date, cut_off: datetime, branch_ids: list[int]) -> QuerySet:
    """The register's rows as dicts (REGISTER_FIELDS), in branch and signing order: pageable and streamable."""
    cases = with_assignee_at(sold_in_month(month, cut_off, branch_ids), cut_off).annotate(
        customer_name=Coalesce("renewal_term__owner__name", "customer__name"),
        customer_mobile=Coalesce("renewal_term__owner__mobile", "customer__mobile"),
        compulsory_no=_policy_of(PolicyKind.COMPULSORY, "policy_no"),
        commercial_no=_policy_of(PolicyKind.COMMERCIAL, "policy_no"),
        new_insurer=Coalesce(
            _policy_of(PolicyKind.COMMERCIAL, "insurer__name"), _policy_of(PolicyKind.COMPULSORY, "insurer__name")
        ),
    )
    return cases.order_by("branch__code", "renewal_term__signed_on", "pk").values(*REGISTER_FIELDS)


def register_records(*, month: date, cut_off: datetime, branch_ids: list[int]) -> Iterator[dict]:
    yield from register_queryset(month=month, cut_off=cut_off, branch_ids=branch_ids).iterator(chunk_size=CHUNK)


def register_count(*, month: date, cut_off: datetime, branch_ids: list[int]) -> int:
    return sold_in_month(month, cut_off, branch_ids).count()


BOARD_FIELDS = (
    "pk", "branch__name", "customer__name", "vehicle__plate", "vehicle__vin", "vehicle__model_name",
    "previous_insurer", "category", "t_date", "assignee_at_id", "contact_count", "effective_count",
    "quote_total", "quote_discount_rate", "state_at", "reason", "reason_text",
)  # fmt: skip


def _count_of(queryset) -> Subquery:
    return Subquery(queryset.values("case").annotate(c=Count("pk")).values("c"), output_field=IntegerField())


def board_records(*, month: date, cut_off: datetime, branch_ids: list[int]) -> Iterator[dict]:
    """到期管理表: every case with T in the month as of the cut-off, with its contacts, latest quote and outcome."""
    contacts = Contact.objects.filter(case=OuterRef("pk"), at__lte=cut_off)
    quotes = Quote.objects.filter(case=OuterRef("pk"), created_at__lte=cut_off).order_by("-created_at", "-pk")
    cases = with_assignee_at(cases_as_of(cut_off).filter(t_month=month, branch_id__in=branch_ids), cut_off).annotate(
        contact_count=Coalesce(_count_of(contacts), 0),
        effective_count=Coalesce(_count_of(contacts.filter(Q(effective=True))), 0),
        quote_total=Subquery(
            quotes.annotate(total=F("premium_compulsory") + F("premium_commercial") - F("discount")).values("total")[:1]
        ),
        quote_discount_rate=Subquery(quotes.values("discount_rate")[:1]),
    )
    ordered = cases.order_by("branch__code", "t_date", "pk").values(*BOARD_FIELDS)
    yield from ordered.iterator(chunk_size=CHUNK)


def staff_names(branch_ids: list[int] | None = None) -> dict[int, str]:
    """{staff id: name} for the names in a listing: one query, bounded by the number of staff."""
    people = Staff.objects.all() if branch_ids is None else Staff.objects.filter(branch_id__in=branch_ids)
    return dict(people.values_list("pk", "name"))
