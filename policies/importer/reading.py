"""Streaming the workbook with openpyxl in read-only mode: sheets by name, header row, then data rows.

Read-only worksheets trust the file's <dimension> element, which some exporters write wrong (A1:A1, or a
row count from before rows were appended): rows or columns beyond it would be dropped silently. We reset the
dimensions and read whatever rows the sheet really holds.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from openpyxl import load_workbook

from policies.importer.columns import (
    INSTRUCTIONS,
    SHEET_BY_HEADER,
    SHEETS,
    TARGETS,
    SheetSpec,
    header_lookup,
    normalise_header,
)
from policies.importer.report import ImportReport


@dataclass
class SheetTable:
    """One recognised sheet: where each known column is, and its data rows."""

    title: str  # the sheet name as written
    spec: SheetSpec
    index: dict[str, int]  # canonical column -> position in the row
    headers: dict[str, str]  # canonical column -> header as written
    worksheet: object
    usable: bool = True  # False when a required column is missing: its rows are not checked one by one

    def has(self, column: str) -> bool:
        return column in self.index

    def header(self, column: str) -> str:
        return self.headers.get(column, column)

    def data_rows(self) -> Iterator[tuple[int, tuple]]:
        """(Excel row number, values) for every non-blank row after the header."""
        rows = self.worksheet.iter_rows(min_row=2, values_only=True)
        for number, values in enumerate(rows, start=2):
            if values and not _is_blank_row(values):
                yield number, values


def _is_blank_row(values: tuple) -> bool:
    return all(value is None or (isinstance(value, str) and not value.strip()) for value in values)


class WorkbookReader:
    """Opens a checked file (policies.importer.safety) and hands out its known sheets in import order."""

    def __init__(self, source: BinaryIO, report: ImportReport):
        self.report = report
        # keep_links=False: external links are never followed; data_only: cached values, not formulas.
        self.workbook = load_workbook(source, read_only=True, data_only=True, keep_links=False)
        self.sheets: dict[str, SheetTable] = {}
        self._find_sheets()

    def close(self) -> None:
        self.workbook.close()

    def _find_sheets(self) -> None:
        for worksheet in self.workbook.worksheets:
            title = worksheet.title
            known = SHEET_BY_HEADER.get(normalise_header(title))
            if known is None:
                if normalise_header(title) != normalise_header(INSTRUCTIONS):
                    names = "、".join(SHEETS)
                    self.report.warn(title, None, "", f"未识别的工作表，已忽略（可导入的工作表：{names}）")
                continue
            if known in self.sheets:
                self.report.error(title, None, "", f"工作簿中有两个“{known}”工作表，请合并为一个")
                continue
            worksheet.reset_dimensions()
            table = self._read_header(worksheet, SHEETS[known])
            if table is not None:
                self.sheets[known] = table

    def _read_header(self, worksheet, spec: SheetSpec) -> SheetTable | None:
        title = worksheet.title
        rows = worksheet.iter_rows(min_row=1, max_row=1, values_only=True)
        header_row = next(rows, ())
        rows.close()
        lookup = header_lookup(spec)
        index: dict[str, int] = {}
        headers: dict[str, str] = {}
        for position, value in enumerate(header_row):
            text = normalise_header(value)
            if not text:
                continue
            written = str(value).strip()
            canonical = lookup.get(text)
            if canonical is None:
                self.report.warn(title, 1, written, "未识别的列，已忽略")
            elif canonical in index:
                self.report.error(title, 1, written, f"与“{headers[canonical]}”是同一列（{canonical}），请只保留一列")
            else:
                index[canonical] = position
                headers[canonical] = written
        if not index:
            self.report.error(title, 1, "", "第 1 行应为表头，但没有找到任何可识别的列名")
            return None
        missing = [column.name for column in spec.columns if column.required and column.name not in index]
        for name in missing:
            self.report.error(title, 1, name, "缺少必填列")
        if spec.name == TARGETS and "工号" not in index and "客户类别" not in index:
            self.report.error(title, 1, "工号", "缺少“工号”或“客户类别”列（二者至少有一列）")
            missing.append("工号")
        return SheetTable(title=title, spec=spec, index=index, headers=headers, worksheet=worksheet, usable=not missing)
