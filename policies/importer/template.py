"""The blank import template: a 说明 sheet explaining every column, then one sheet per kind with its header.

Built with openpyxl's write-only mode. Every text is our own (no user data), so no formula escaping is needed;
columns that hold long digit strings are pre-formatted as text so Excel cannot round them (1.1E+17).
"""

from __future__ import annotations

from io import BytesIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from policies.importer.columns import INSTRUCTIONS, SHEET_ORDER, SHEETS

TEXT_COLUMNS = frozenset(
    {"门店编码", "工号", "保单号", "车架号", "联系电话", "被保险人证件号", "上年保单号", "回访员工号", "销售员工号",
     "负责人工号", "跟进人工号", "月份"}
)  # fmt: skip
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="E8F0FD")
_GENERAL_NOTES = (
    "第 1 行为表头，从第 2 行起每行一条记录；列的顺序不限，不需要的可选列可以删除，多余的列会被忽略并提示。",
    "日期可写 2025-01-31、2025/1/31 或 2025年1月31日，也可以是 Excel 日期；月份写 2025-03。",
    "车架号、证件号、手机号、保单号请设为“文本”格式，否则 Excel 会把长数字变成 1.1E+17 而丢失数字。",
    "整个工作簿先全部校验，有任何错误都不会写入，并列出每个错误所在的工作表、行号和列；改正后重新上传即可。",
    "同一工作簿可重复导入：已有记录按编码/工号/保险公司+保单号/车架号匹配并更新，相同的数据不会重复写入。",
)


def build_template() -> bytes:
    workbook = Workbook(write_only=True)
    _instructions(workbook)
    for name in SHEET_ORDER:
        spec = SHEETS[name]
        sheet = workbook.create_sheet(name)
        for position, column in enumerate(spec.columns, start=1):
            dimension = sheet.column_dimensions[get_column_letter(position)]
            dimension.width = max(12, 2.2 * len(column.name) + 4)
            if column.name in TEXT_COLUMNS:
                dimension.number_format = "@"
        sheet.freeze_panes = "A2"
        sheet.append([_header_cell(sheet, column.name) for column in spec.columns])
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _header_cell(sheet, text: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=text)
    cell.font = _HEADER_FONT
    cell.fill = _HEADER_FILL
    return cell


def _instructions(workbook: Workbook) -> None:
    sheet = workbook.create_sheet(INSTRUCTIONS)
    for letter, width in zip("ABCDEF", (10, 16, 8, 60, 36, 24), strict=True):
        sheet.column_dimensions[letter].width = width
    wrap = Alignment(wrap_text=True, vertical="top")
    title = WriteOnlyCell(sheet, value="续保工作台 · 数据导入模板")
    title.font = Font(bold=True, size=14)
    sheet.append([title])
    for note in _GENERAL_NOTES:
        sheet.append([None, note])
    sheet.append([])
    sheet.append([_header_cell(sheet, text) for text in ("工作表", "列名", "必填", "说明", "也可写作（别名）", "示例")])
    for name in SHEET_ORDER:
        spec = SHEETS[name]
        sheet.append([name, spec.help])
        for column in spec.columns:
            cells = [name, column.name, "必填" if column.required else "", column.help, "、".join(column.aliases),
                     column.example]  # fmt: skip
            row = [WriteOnlyCell(sheet, value=value or None) for value in cells]
            for cell in row:
                cell.alignment = wrap
                cell.number_format = "@"
            sheet.append(row)
