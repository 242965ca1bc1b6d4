"""Figures owned by other apps (targets, payouts, perks), read through their public selectors.

Reports never recompute another app's logic. Each reader imports inside the function and, when the owning
app does not (yet) offer what is needed, returns nothing plus the reason, which the pages and sheets show
as 未生成 — a missing figure is never shown as a zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

STATUS_LABELS = {
    "draft": "草稿",
    "approved": "已批准",
    "locked": "已锁定",
    "草稿": "草稿",
    "已批准": "已批准",
    "已锁定": "已锁定",
}
NOT_BUILT = "未生成"


@dataclass(frozen=True)
class PayoutTotal:
    status: str  # 草稿 / 已批准 / 已锁定 / 未生成
    total: Decimal | None
    staff_count: int | None
    store_count: int | None
    telesales_count: int | None
    reason: str = ""


@dataclass(frozen=True)
class PerkRow:
    label: str
    issued: int
    redeemed: int
    cost: Decimal


def _field(record: Any, *names: str) -> Any:
    for name in names:
        if isinstance(record, dict) and name in record:
            return record[name]
        if not isinstance(record, dict) and hasattr(record, name):
            return getattr(record, name)
    return None


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)


def category_targets(month: date, branch_ids: list[int]) -> dict[tuple[int, int], int]:
    """Imported or edited 目标台数 per (branch, category) of the month; empty when incentives has none."""
    try:
        from incentives.models import Target
    except (ImportError, AttributeError):
        return {}
    field_names = {f.name for f in Target._meta.get_fields()}
    count_field = next((n for n in ("target_count", "count", "units", "vehicles", "target") if n in field_names), None)
    if count_field is None or "category" not in field_names or "month" not in field_names:
        return {}
    rows = Target.objects.filter(month=month, branch_id__in=branch_ids, category__isnull=False)
    return {
        (branch_id, int(category)): int(count)
        for branch_id, category, count in rows.values_list("branch_id", "category", count_field)
        if count is not None
    }


def payout_totals(month: date, branch_ids: list[int]) -> dict[int, PayoutTotal]:
    """The month's payout run per branch: status and totals, or 未生成 with the reason."""
    try:
        from incentives.selectors import payout_totals as read_totals
    except (ImportError, AttributeError):
        missing = PayoutTotal(NOT_BUILT, None, None, None, None, "提成模块尚未提供发放汇总")
        return dict.fromkeys(branch_ids, missing)
    totals = read_totals(month) or {}
    result: dict[int, PayoutTotal] = {}
    for branch_id in branch_ids:
        record = totals.get(branch_id)
        if record is None:
            result[branch_id] = PayoutTotal(NOT_BUILT, None, None, None, None, "本月尚未生成发放批次")
            continue
        if _field(record, "status") is None:  # no run yet: never show its zero total as a figure
            result[branch_id] = PayoutTotal(
                NOT_BUILT, None, None, None, None, _refusal(branch_id, month) or str(_field(record, "reason") or "")
            )
            continue
        status = str(_field(record, "status_label", "status") or "")
        result[branch_id] = PayoutTotal(
            status=STATUS_LABELS.get(status, status or NOT_BUILT),
            total=_field(record, "total", "amount", "grand_total"),
            staff_count=_int_or_none(_field(record, "staff_count", "lines", "line_count", "people")),
            store_count=_int_or_none(_field(record, "store_count", "store_renewals")),
            telesales_count=_int_or_none(_field(record, "telesales_count", "telesales_renewals")),
            reason=str(_field(record, "reason") or ""),
        )
    return result


def _refusal(branch_id: int, month: date) -> str:
    """Why the month-end chain could not compute the draft (kept by reports.tasks), if it tried and was refused."""
    from django.core.cache import cache

    from reports.tasks import payout_refusal_key

    return cache.get(payout_refusal_key(branch_id, month)) or ""


def perk_rows(branch_id: int, month: date) -> tuple[list[PerkRow], str]:
    """Perks issued and redeemed in the month and their cost, per kind; ([], reason) when unavailable."""
    try:
        from perks.selectors import perk_month_rows
    except (ImportError, AttributeError):
        return [], "权益模块尚未提供月度汇总"
    rows = perk_month_rows(branch_id, month)
    return [PerkRow(row.label, int(row.issued), int(row.redeemed), Decimal(row.cost)) for row in rows], ""
