"""Reads of the incentives app for pages, exports, commands and other apps' reports (never write)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet

from incentives.models import PayoutLine, PayoutRun, RuleVersion
from incentives.rules import employee_order
from policies.models import Branch
from renewal_desk.months import month_start

# The payout sheet of DOMAIN.md §8, in its order; 备注 (last) explains adjustment lines.
SHEET_COLUMNS: list[tuple[str, str]] = [
    ("工号", "employee_no"),
    ("姓名", "name"),
    ("门店", "branch_name"),
    ("角色", "roles"),
    ("到店单数", "store_count"),
    ("电销单数", "telesales_count"),
    ("提成", "commission"),
    ("破冰奖励", "ramp"),
    ("系数奖金", "bonus"),
    ("续保率奖金", "salary"),
    ("团队奖励", "team"),
    ("排名奖励", "rank"),
    ("专项奖励", "special"),
    ("扣款", "penalty"),
    ("合计", "total"),
    ("规则版本", "rule_version_label"),
    ("备注", "note"),
]
SHEET_HEADERS = [header for header, _ in SHEET_COLUMNS]
COUNT_HEADERS = ("到店单数", "电销单数")
MONEY_HEADERS = ("提成", "破冰奖励", "系数奖金", "续保率奖金", "团队奖励", "排名奖励", "专项奖励", "扣款", "合计")
STATUS_LABELS = {None: "未生成", "draft": "草稿", "approved": "已批准", "locked": "已锁定"}


def ordered_lines(lines: Iterable[PayoutLine]) -> list[PayoutLine]:
    """工号 order (numeric when every 工号 is digits); a person's adjustment lines follow their own line."""
    lines = list(lines)
    order = {number: index for index, number in enumerate(employee_order(sorted({x.employee_no for x in lines})))}
    return sorted(
        lines,
        key=lambda line: (order[line.employee_no], line.adjusts_month is not None, line.adjusts_month or date.min),
    )


def run_lines(run: PayoutRun) -> list[PayoutLine]:
    return ordered_lines(run.lines.all())


def sheet_row(line: PayoutLine) -> dict[str, Any]:
    """One line keyed by the sheet's headers: Decimals for money, ints for counts, text otherwise."""
    return {header: getattr(line, field) for header, field in SHEET_COLUMNS}


def payout_sheet_rows(run: PayoutRun) -> list[dict[str, Any]]:
    return [sheet_row(line) for line in run_lines(run)]


def sheet_totals(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The footer: each count and money column added up exactly (money is already rounded to the fen)."""
    totals: dict[str, Any] = dict.fromkeys(SHEET_HEADERS, "")
    totals["工号"] = "合计"
    for header in COUNT_HEADERS:
        totals[header] = sum(row[header] for row in rows)
    for header in MONEY_HEADERS:
        totals[header] = sum((row[header] for row in rows), Decimal("0.00"))
    return totals


def json_row(row: dict[str, Any]) -> dict[str, Any]:
    """DOMAIN.md §8: money as a string with two decimals ('460.00'), counts as integers."""
    return {
        header: (f"{value:.2f}" if header in MONEY_HEADERS else int(value) if header in COUNT_HEADERS else value)
        for header, value in row.items()
    }


def payout_totals(month: date) -> dict[int, dict[str, Any]]:
    """Every branch's run for the month: {branch_id: {status, status_label, total, lines, store_count,
    telesales_count, reason}} — status None (未生成) with the reason when there is no run yet."""
    month = month_start(month)
    runs = {run.branch_id: run for run in PayoutRun.objects.filter(month=month)}
    result: dict[int, dict[str, Any]] = {}
    for branch_id in Branch.objects.order_by("code").values_list("pk", flat=True):
        run = runs.get(branch_id)
        if run is None:
            result[branch_id] = {
                "status": None,
                "status_label": STATUS_LABELS[None],
                "total": Decimal("0.00"),
                "lines": 0,
                "store_count": 0,
                "telesales_count": 0,
                "reason": "本月尚未计算发放",
            }
            continue
        result[branch_id] = {
            "status": run.state,
            "status_label": STATUS_LABELS[run.state],
            "total": run.total,
            "lines": run.line_count,
            "store_count": run.store_count,
            "telesales_count": run.telesales_count,
            "reason": "",
        }
    return result


def branch_statuses(month: date, branches: QuerySet[Branch]) -> list[tuple[Branch, PayoutRun | None]]:
    runs = {run.branch_id: run for run in PayoutRun.objects.filter(month=month_start(month), branch__in=branches)}
    return [(branch, runs.get(branch.pk)) for branch in branches.order_by("code")]


def run_for(branch: Branch, month: date) -> PayoutRun | None:
    return (
        PayoutRun.objects.filter(branch=branch, month=month_start(month))
        .select_related(
            "branch",
            "rule_version__published_by",
            "rule_version__created_by",
            "prepared_by",
            "approved_by",
            "locked_by",
        )
        .first()
    )


def versions_for_list() -> QuerySet[RuleVersion]:
    return (
        RuleVersion.objects.select_related("branch", "created_by", "published_by")
        .annotate(locked_runs=Count("payout_runs", filter=Q(payout_runs__state="locked"), distinct=True))
        .order_by("-pk")
    )
