"""日报 / 周报 workbooks: one row per specialist, 战败 split by reason."""

from __future__ import annotations

from pathlib import Path

from reports.excel import INT, Column, SheetWriter, new_workbook, save
from reports.periods import format_cut_off
from reports.selectors.activity import ActivityReport, ActivityRow
from reports.selectors.figures import REASONS

ACTIVITY_COLUMNS = [
    Column("门店", 14), Column("工号", 10), Column("姓名", 10), Column("到期（T 在期内）", 12, INT),
    Column("已联系", 8, INT), Column("有效联系", 8, INT), Column("报价", 8, INT), Column("续回", 8, INT),
    Column("战败（已审）", 10, INT),
    *[Column(reason.label, 10, INT) for reason in REASONS],
]  # fmt: skip


def activity_values(row: ActivityRow) -> list:
    return [
        row.branch_name, row.employee_no, row.name, row.due, row.contacted, row.effective, row.quotes, row.renewals,
        row.lost, *[row.lost_by_reason.get(reason.value, 0) for reason in REASONS],
    ]  # fmt: skip


def write_activity(report: ActivityReport, path: Path, *, title: str, scope: str) -> None:
    workbook = new_workbook()
    period = (
        f"{report.first_day:%Y-%m-%d}"
        if report.first_day == report.last_day
        else f"{report.first_day:%Y-%m-%d} 至 {report.last_day:%Y-%m-%d}"
    )
    sheet = SheetWriter(
        workbook, title, ACTIVITY_COLUMNS, heading=f"{title} {period} · {scope}",
        note=f"数据截至 {format_cut_off(report.cut_off)} · 按本地日期计数（Asia/Shanghai）",
    )  # fmt: skip
    for row in report.rows:
        sheet.row(activity_values(row))
    sheet.row(activity_values(report.totals))
    save(workbook, path)
