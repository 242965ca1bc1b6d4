"""The board's .xlsx (openpyxl write-only): every user-typed text goes through `safe_cell`, so a name or note that
starts with = + - @ or a tab/CR is shown as text and never runs as a formula in Excel (TOOLCHAIN.md)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from followups.models import CaseState

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
HEADER_FONT = Font(bold=True)


def safe_text(value: object) -> str:
    """Text that a spreadsheet will not evaluate: a leading formula character gets an apostrophe in front."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def safe_cell(sheet, value: object, *, bold: bool = False) -> WriteOnlyCell:
    """A write-only cell: numbers and dates as themselves, everything else as escaped text (never a formula)."""
    if isinstance(value, bool) or value is None:
        value = "是" if value else ("" if value is None else "否")
    if isinstance(value, int | float | Decimal):
        cell = WriteOnlyCell(sheet, value=value)
    elif isinstance(value, datetime | date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "yyyy-mm-dd" if not isinstance(value, datetime) else "yyyy-mm-dd hh:mm"
    else:
        cell = WriteOnlyCell(sheet, value=safe_text(value))
        cell.data_type = "s"  # a string cell, whatever openpyxl would guess
    if bold:
        cell.font = HEADER_FONT
    return cell


def _append(sheet, values: Iterable[object], *, bold: bool = False) -> None:
    sheet.append([safe_cell(sheet, value, bold=bold) for value in values])


def _case_rows(cases) -> Iterable[list[object]]:
    for case in cases:
        yield [
            case.vehicle.plate or "暂未上牌",
            case.vehicle.vin,
            case.customer.name if case.customer else "",
            case.customer.masked_mobile if case.customer else "",  # masked on every export (DOMAIN.md §11)
            case.t_date,
            case.category,
            case.get_state_display(),
            case.assignee.name if case.assignee else "待分配",
            case.handoff_due_on,
            case.escalated_on,
        ]


CASE_HEADER = ["车牌", "车架号", "客户", "手机", "到期日 T", "类别", "状态", "跟进人", "移交截止", "升级日期"]


def board_workbook(board, *, branch_name: str, cut_off: datetime, handoff_overdue=None, escalated=None) -> bytes:
    """到期管理表 of one branch and day: state × assignee, checkpoint compliance, overdue handoffs, escalations."""
    workbook = Workbook(write_only=True)
    stamp = f"{branch_name} · 到期管理表 · {board.day:%Y-%m-%d} · 数据截至 {cut_off:%Y-%m-%d %H:%M}"
    states = [label for _, label in CaseState.choices]

    sheet = workbook.create_sheet("状态×跟进人")
    _append(sheet, [stamp], bold=True)
    _append(sheet, ["工号", "跟进人", *states, "合计"], bold=True)
    for row in board.rows:
        person = row.assignee
        _append(
            sheet,
            [
                person.employee_no if person else "",
                person.name if person else "待分配",
                *[row.counts[state] for state, _ in CaseState.choices],
                row.total,
            ],
        )
    _append(sheet, ["", "合计", *[board.totals[state] for state, _ in CaseState.choices], sum(board.totals.values())])

    sheet = workbook.create_sheet("检查点合规")
    _append(sheet, [stamp], bold=True)
    _append(
        sheet,
        ["工号", "跟进人", "T−45 应联", "T−45 有效", "T−33 应联", "T−33 有效", "T−30 应联", "T−30 有效"],
        bold=True,
    )
    for line in board.compliance:
        person = line.assignee
        values: list[object] = [person.employee_no if person else "", person.name if person else "—"]
        for checkpoint in (45, 33, 30):
            values += [line.due[checkpoint], line.done[checkpoint]]
        _append(sheet, values)

    for title, count, cases in (
        (
            "移交逾期",
            board.handoff_overdue_count,
            board.handoff_overdue if handoff_overdue is None else handoff_overdue,
        ),
        ("已升级 T−15", board.escalated_count, board.escalated if escalated is None else escalated),
    ):
        sheet = workbook.create_sheet(title)
        _append(sheet, [f"{stamp} · 共 {count} 件"], bold=True)
        _append(sheet, CASE_HEADER, bold=True)
        for values in _case_rows(cases):
            _append(sheet, values)

    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
