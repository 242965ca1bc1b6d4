"""One row at a time: reading cells by column, turning FieldErrors into located issues, and the compact
tuples a validated row is kept as until it is written."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from policies.importer.reading import SheetTable
from policies.importer.report import ImportReport
from policies.masking import mask_id_number, mask_phone
from policies.validation import FieldError, half_width, normalise_code

# Messages about these columns may quote the value: it is masked before anyone sees it (DOMAIN.md §11).
PII_COLUMNS = frozenset({"联系电话", "被保险人证件号"})
_DIGIT_RUN = re.compile(r"\d{7,}[\dX]?")


def mask_digits(text: str) -> str:
    return _DIGIT_RUN.sub(lambda m: mask_id_number(m[0]) if len(m[0]) >= 15 else mask_phone(m[0]), text)


def cell_text(value: object) -> str:
    """A cell as plain text: half-width, trimmed; a whole number typed into a text column loses its '.0'."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return half_width(str(value)).strip()


class RowCheck:
    """Reads one row's cells by canonical column and records every problem with its Excel location."""

    __slots__ = ("failed", "number", "report", "table", "values")

    def __init__(self, table: SheetTable, report: ImportReport, number: int, values: tuple):
        self.table = table
        self.report = report
        self.number = number
        self.values = values
        self.failed = False

    def raw(self, column: str) -> Any:
        position = self.table.index.get(column)
        if position is None or position >= len(self.values):
            return None
        return self.values[position]

    def error(self, column: str, message: str) -> None:
        if column in PII_COLUMNS:
            message = mask_digits(message)
        self.report.error(self.table.title, self.number, self.table.header(column), message)
        self.failed = True

    def warn(self, column: str, message: str) -> None:
        if column in PII_COLUMNS:
            message = mask_digits(message)
        self.report.warn(self.table.title, self.number, self.table.header(column), message)

    def parse(self, column: str, parser: Callable[..., Any], *args: Any, on_error: Any = None, **kwargs: Any) -> Any:
        """parser(cell, *args, **kwargs); on a FieldError the error is recorded and `on_error` returned."""
        try:
            return parser(self.raw(column), *args, **kwargs)
        except FieldError as problem:
            self.error(column, problem.message)
            return on_error

    def text(self, column: str, *, required: bool = False, max_length: int = 100) -> str:
        value = cell_text(self.raw(column))
        if required and not value:
            self.error(column, f"{column}不能为空")
        elif len(value) > max_length:
            self.error(column, f"{column}过长（最多 {max_length} 个字）")
            return value[:max_length]
        return value

    def code(self, column: str, *, required: bool = False, max_length: int = 20) -> str:
        try:
            code = normalise_code(self.raw(column), label=column)
        except FieldError as problem:
            self.error(column, problem.message)
            return ""
        if required and not code:
            self.error(column, f"{column}不能为空")
        elif len(code) > max_length:
            self.error(column, f"{column}“{code}”过长（最多 {max_length} 个字符）")
        return code

    def required_value(self, column: str, parser: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if cell_text(self.raw(column)) == "":
            self.error(column, f"{column}不能为空")
            return None
        return self.parse(column, parser, *args, **kwargs)


# --- the import's own vocabulary --------------------------------------------------------------------

_KINDS = {
    "交强险": "compulsory",
    "交强": "compulsory",
    "机动车交通事故责任强制保险": "compulsory",
    "商业险": "commercial",
    "商业": "commercial",
    "商业保险": "commercial",
    "机动车商业保险": "commercial",
}
_CHANNELS = {"": "store", "到店": "store", "店内": "store", "电销": "telesales", "电话销售": "telesales"}


def parse_kind(value: object) -> str:
    text = cell_text(value).replace(" ", "")
    if text not in _KINDS:
        raise FieldError(f"险种应为“交强险”或“商业险”：{text}")
    return _KINDS[text]


def parse_channel(value: object) -> str:
    """渠道: blank or 到店 = in store, 电销 = telesales (DOMAIN.md §9)."""
    text = cell_text(value).replace(" ", "")
    if text not in _CHANNELS:
        raise FieldError(f"渠道应为“到店”或“电销”（空 = 到店）：{text}")
    return _CHANNELS[text]


# --- validated rows, as kept between validation and writing ----------------------------------------
# Codes (门店编码, 工号) are kept as written; the writer maps them to ids. Customers are kept by their key.

CustomerKey = tuple  # ("id", keyed hash of the ID number) or ("nm", normalised name, mobile)


class BranchRow(NamedTuple):
    row: int
    code: str
    name: str
    city: str
    programme_start: date | None
    perks_start: date | None
    rescue_cities: str
    free_washes: bool
    advance_days: int


class StaffRow(NamedTuple):
    row: int
    employee_no: str
    name: str
    branch: str
    roles: tuple[str, ...]
    team: str
    is_team_leader: bool
    base_salary: Decimal


class PolicyRow(NamedTuple):
    row: int
    branch: str
    insurer: str
    policy_no: str
    kind: str
    vin: str
    customer: CustomerKey
    signed_on: date | None
    start_on: date
    end_on: date
    premium: Decimal
    coverages: tuple[str, ...]
    has_vehicle_damage: bool
    third_party_limit: int | None
    channel: str
    callback: str
    seller: str
    lead: str
    previous_policy_no: str
    follow_up: str


class RetainedRow(NamedTuple):
    row: int
    branch: str
    vin: str
    customer: CustomerKey
    last_return_on: date | None
    previous_insurer: str
    previous_policy_no: str
    expected_end: date | None
    follow_up: str


class TargetRow(NamedTuple):
    row: int
    branch: str
    month: date
    staff: str  # "" for a category target
    category: int | None
    count: int


class SatisfactionRow(NamedTuple):
    row: int
    branch: str
    team: str
    month: date
    score: Decimal
    target: Decimal
