"""The finance payout sheet (DOMAIN.md §8) as .xlsx, per branch and for all branches (openpyxl write-only).

Text cells go through reports.excel.safe_text (= + - @ tab CR prefixes escaped), money is written as numbers with
a #,##0.00 format, and the footer adds up the rounded amounts exactly (Decimal sums, no spreadsheet formulas).
"""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

from django.utils import timezone

from incentives.models import PayoutRun
from incentives.selectors import SHEET_COLUMNS, payout_sheet_rows, sheet_totals
from renewal_desk.months import month_label, month_start
from reports.excel import INT, MONEY, TEXT, Column, SheetWriter, new_workbook

WIDTHS = {"工号": 10, "姓名": 10, "门店": 14, "角色": 22, "规则版本": 8, "备注": 48}
TEXT_FIELDS = ("employee_no", "name", "branch_name", "roles", "rule_version_label", "note")
COLUMNS = [
    Column(header, WIDTHS.get(header, 11), INT if field.endswith("_count") else TEXT if field in TEXT_FIELDS else MONEY)
    for header, field in SHEET_COLUMNS
]
SUMMARY_COLUMNS = [
    Column("门店", 16),
    Column("状态", 8),
    Column("人数", 8, INT),
    Column("到店单数", 10, INT),
    Column("电销单数", 10, INT),
    Column("合计", 14, MONEY),
    Column("规则版本", 8),
]


def branch_sheet_bytes(run: PayoutRun) -> bytes:
    workbook = new_workbook()
    _write_lines(workbook, f"{run.branch.name}"[:31] or "发放表", [run], heading=_heading(run.branch.name, run.month))
    return _bytes(workbook)


def all_branches_sheet_bytes(month: date) -> bytes:
    month = month_start(month)
    runs = list(PayoutRun.objects.filter(month=month).select_related("branch", "rule_version").order_by("branch__code"))
    workbook = new_workbook()
    _write_lines(workbook, "全部门店", runs, heading=_heading("全部门店", month))
    summary = SheetWriter(
        workbook, "汇总", SUMMARY_COLUMNS, heading=f"提成发放汇总 · {month_label(month)}", note=_cut_off_note(runs)
    )
    for run in runs:
        summary.row(
            [
                run.branch.name,
                run.get_state_display(),
                run.line_count,
                run.store_count,
                run.telesales_count,
                run.total,
                run.rule_version.label,
            ]
        )
    summary.row(
        [
            "合计",
            "",
            sum(run.line_count for run in runs),
            sum(run.store_count for run in runs),
            sum(run.telesales_count for run in runs),
            sum((run.total for run in runs), Decimal("0.00")),
            "",
        ]
    )
    return _bytes(workbook)


def _write_lines(workbook, title: str, runs: list[PayoutRun], *, heading: str) -> None:
    writer = SheetWriter(workbook, title, COLUMNS, heading=heading, note=_cut_off_note(runs))
    rows = [row for run in runs for row in payout_sheet_rows(run)]
    for row in rows:
        writer.row([row[column.header] for column in COLUMNS])
    totals = sheet_totals(rows)
    writer.row([totals[column.header] for column in COLUMNS])


def _heading(scope: str, month: date) -> str:
    return f"提成发放表 · {scope} · {month_label(month)}"


def _cut_off_note(runs: list[PayoutRun]) -> str:
    states = "、".join(f"{run.branch.name} {run.get_state_display()}" for run in runs) or "本月尚无发放批次"
    exported = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    return f"状态：{states} · 导出于 {exported} · 金额单位：元"


def _bytes(workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
