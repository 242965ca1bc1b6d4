"""Streaming .xlsx sheets (openpyxl write-only) that no user text can turn into a formula. Reusable by any app.

Why openpyxl write-only rather than xlsxwriter (1.6× faster in TOOLCHAIN.md): it is already a dependency and the
importer's library, and the benchmark (bench/bench_exports.py) keeps our exports within 1.5× of raw openpyxl
write-only at constant memory — the export time is dominated by the writer either way, and a second Excel
library would mean two sets of formula-escaping and formatting rules to keep in step.

Every cell a user could have typed (names, plates, notes, reasons) goes through `safe_text`: a value starting
with = + - @ tab or carriage return is prefixed with an apostrophe, so Excel, LibreOffice and any CSV made from
the sheet show it as text (OWASP "CSV injection"). Numbers are written as numbers with a number format.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

TEXT, INT, COUNT, MONEY, DATE, RATE, POINTS, FLAG = "text", "int", "count", "money", "date", "rate", "points", "flag"
NUMBER_FORMATS = {
    MONEY: "#,##0.00",
    DATE: "yyyy-mm-dd",
    RATE: "0.0%",
    POINTS: '+0.0"pt";-0.0"pt";0.0"pt"',
    INT: "#,##0",
}
HEADER_FILL = PatternFill("solid", fgColor="E8F0FD")
HEADER_FONT = Font(bold=True)
TITLE_FONT = Font(bold=True, size=14)
NOTE_FONT = Font(color="6B7280", size=10)
SECTION_FONT = Font(bold=True, size=12)


def safe_text(value: Any) -> str:
    """User text as a cell that can never be a formula: '=HYPERLINK(…)' → "'=HYPERLINK(…)"."""
    if value is None:
        return ""
    text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


@dataclass(frozen=True)
class Column:
    header: str
    width: float = 12
    kind: str = TEXT


def new_workbook() -> Workbook:
    return Workbook(write_only=True)


class SheetWriter:
    """One write-only sheet: a title, a note line (数据截至 …), a frozen header row, then rows.

    Column widths, print setup (landscape, fit to width, header row repeated) and freezing must be set before the
    first row is streamed, which the constructor does. Further tables in the same sheet start with `table()`.
    """

    def __init__(
        self, workbook: Workbook, title: str, columns: Sequence[Column], *, heading: str, note: str = ""
    ) -> None:
        self.sheet = workbook.create_sheet(title=title)
        self.columns = list(columns)
        self.rows_written = 0
        for index, column in enumerate(self.columns, 1):
            self.sheet.column_dimensions[get_column_letter(index)].width = column.width
        header_row = 3
        self.sheet.freeze_panes = f"A{header_row + 1}"
        self.sheet.print_title_rows = f"{header_row}:{header_row}"
        setup = self.sheet.page_setup
        setup.orientation = "landscape"
        setup.paperSize = 9  # A4
        setup.fitToWidth = 1
        setup.fitToHeight = 0
        self.sheet.sheet_properties.pageSetUpPr.fitToPage = True
        self.sheet.print_options.gridLines = True
        self._append([self._styled(heading, TITLE_FONT)])
        self._append([self._styled(note, NOTE_FONT)])
        self._converters: list = []
        self.table(self.columns, repeat=False)

    def _styled(self, value: Any, font: Font, fill: PatternFill | None = None) -> WriteOnlyCell:
        cell = WriteOnlyCell(self.sheet, value=safe_text(value))
        cell.font = font
        if fill is not None:
            cell.fill = fill
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        return cell

    def _append(self, values: Iterable[Any]) -> None:
        self.sheet.append(list(values))
        self.rows_written += 1

    def table(self, columns: Sequence[Column], *, title: str = "", repeat: bool = True) -> None:
        """Start a table: an optional section title, then its header row; later rows follow these columns."""
        if repeat:
            self._append([])
            if title:
                self._append([self._styled(title, SECTION_FONT)])
        self.columns = list(columns)
        self._append(self._styled(column.header, HEADER_FONT, HEADER_FILL) for column in self.columns)
        # One converter per column, and one reusable styled cell per formatted column: write-only rows are serialised
        # on append, so a cell object can carry the next row's value — formatted exports stay as fast as plain ones.
        self._converters = [self._converter(column) for column in self.columns]

    def _converter(self, column: Column):
        if column.kind == TEXT:
            return safe_text
        if column.kind == FLAG:
            return lambda value: "是" if value else "否"
        number_format = NUMBER_FORMATS.get(column.kind)
        if number_format is None:
            return lambda value: _number(value, column.kind)
        cell = WriteOnlyCell(self.sheet)
        cell.number_format = number_format

        def styled(value: Any) -> WriteOnlyCell:
            cell.value = _number(value, column.kind)
            return cell

        return styled

    def row(self, values: Sequence[Any]) -> None:
        converters = self._converters
        self._append(
            [
                None if value is None or value == "" else convert(value)
                for convert, value in zip(converters, values, strict=True)
            ]
        )

    def note(self, text: str) -> None:
        self._append([self._styled(text, NOTE_FONT)])


def _number(value: Any, kind: str) -> Any:
    if type(value) is int or type(value) is Decimal:
        if kind == DATE:
            raise TypeError(f"日期列需要 date：{value!r}")
        return value
    if kind == DATE:
        if isinstance(value, datetime):
            return value.replace(tzinfo=None)
        if isinstance(value, date):
            return value
        raise TypeError(f"日期列需要 date：{value!r}")
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        # Floats never carry money or rates here: rates arrive rounded as Decimal (reports.rates.rate_decimal).
        raise TypeError(f"数值列需要 int 或 Decimal：{value!r}")
    return value


def save(workbook: Workbook, path) -> None:
    workbook.save(str(path))
