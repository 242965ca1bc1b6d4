"""Perk cost for reports (DOMAIN.md §12 Cost): counted in the month of redemption, charged to the issuing
branch — unit costs for oil, filter, wash, rescue and inspection, face value for money vouchers, the
discount actually given for the repair card. The cost is fixed on the redemption's ledger row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, Q, Sum

from perks.models import DEFAULT_UNIT_COSTS, ZERO, EntryType, LedgerEntry, PerkKind, UnitCost
from policies.models import Branch
from renewal_desk.months import month_end, month_start


def unit_cost(*, branch_id: int | None, item: str, on: date) -> Decimal:
    """The branch's unit cost in force on `on`, else the group's, else the built-in default."""
    rows = UnitCost.objects.filter(item=item, effective_from__lte=on)
    if branch_id is not None:
        amount = rows.filter(branch_id=branch_id).order_by("-effective_from").values_list("amount", flat=True).first()
        if amount is not None:
            return amount
    amount = rows.filter(branch__isnull=True).order_by("-effective_from").values_list("amount", flat=True).first()
    return amount if amount is not None else DEFAULT_UNIT_COSTS[item]


def _branch_id(branch: Branch | int) -> int:
    return branch if isinstance(branch, int) else branch.pk


def perk_cost(branch: Branch | int, month: date) -> Decimal:
    """Cost of the perks redeemed in `month` (any day of it) that the branch issued."""
    total = LedgerEntry.objects.filter(
        branch_id=_branch_id(branch), entry_type=EntryType.REDEEMED,
        occurred_on__gte=month_start(month), occurred_on__lte=month_end(month),
    ).aggregate(total=Sum("cost"))["total"]  # fmt: skip
    return total if total is not None else ZERO


@dataclass(frozen=True)
class PerkMonthRow:
    kind: str
    label: str
    issued: int
    redeemed: int  # redemption events (a wash is one each; the repair card one per bill)
    cost: Decimal


def perk_month_rows(branch: Branch | int, month: date) -> list[PerkMonthRow]:
    """One row per kind for the 战报表 sheet 权益: issued and redeemed in the month, and the cost."""
    in_month = Q(occurred_on__gte=month_start(month), occurred_on__lte=month_end(month))
    rows = (
        LedgerEntry.objects.filter(in_month, branch_id=_branch_id(branch))
        .values("kind")
        .annotate(
            issued=Count("pk", filter=Q(entry_type=EntryType.ISSUED)),
            redeemed=Count("pk", filter=Q(entry_type=EntryType.REDEEMED)),
            cost=Sum("cost", filter=Q(entry_type=EntryType.REDEEMED)),
        )
    )
    by_kind = {row["kind"]: row for row in rows}
    result = []
    for value, label in PerkKind.choices:
        row = by_kind.get(value, {})
        result.append(
            PerkMonthRow(
                kind=value,
                label=label,
                issued=row.get("issued", 0),
                redeemed=row.get("redeemed", 0),
                cost=row.get("cost") or ZERO,
            )
        )
    return result
