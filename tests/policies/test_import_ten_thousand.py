"""The foundation issue's own check, as an operator would run it: a workbook of 10,000 policy rows with a handful
of bad rows is refused naming exactly those rows and writing nothing; the corrected workbook imports; importing it
again changes nothing."""

from __future__ import annotations

from datetime import date
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook

from policies.models import Policy, Vehicle, VehicleTerm
from tests.policies.workbooks import branch_row, policy_row, staff_row, vin

pytestmark = pytest.mark.django_db

ROWS = 10_000
# data row index → (column, the bad value, what the message must say)
BAD = {
    1234: ("车架号", "wrong check digit"),
    2345: ("车牌号", "京I12345"),  # I is never used on a plate
    3456: ("联系电话", "12812345678"),  # 11 digits, not a mobile
    4567: ("终保日期", "before start"),
    5678: ("车架号", 1.1e17),  # a VIN stored as a number
}


def table_counts() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


def policy_rows(*, bad: bool) -> list[dict]:
    rows = []
    for index in range(ROWS):
        vehicle = index // 2 + 1
        kind = "商业险" if index % 2 == 0 else "交强险"
        row = policy_row(f"P{index:07d}", n=vehicle, kind=kind, start=date(2025, 1 + vehicle % 12, 1 + vehicle % 28))
        rows.append(row)
    if bad:
        for index, (column, value) in BAD.items():
            row = rows[index]
            if value == "wrong check digit":
                good = vin(index // 2 + 1)
                value = good[:8] + ("0" if good[8] != "0" else "1") + good[9:]
            elif value == "before start":
                value = date(row["起保日期"].year - 1, 1, 1)
            row[column] = value
    return rows


def write(path, *, bad: bool):
    workbook = Workbook(write_only=True)
    for name, rows in (
        ("门店", [branch_row()]),
        ("员工", [staff_row("E1001", roles="续保负责人、续保专员"), staff_row("E1002", roles="回访员"),
                  staff_row("E1003", roles="服务顾问")]),
        ("保单", policy_rows(bad=bad)),
    ):  # fmt: skip
        sheet = workbook.create_sheet(name)
        headers = list(rows[0])
        sheet.append(headers)
        for row in rows:
            sheet.append([row.get(header) for header in headers])
    workbook.save(path)
    return path


def test_ten_thousand_rows_with_five_bad_ones_then_corrected_then_again(tmp_path):
    # given a workbook of 10,000 policy rows, five of them bad
    before = table_counts()
    stderr = StringIO()
    with pytest.raises(CommandError) as refused:
        call_command("import_workbook", str(write(tmp_path / "bad.xlsx", bad=True)), stdout=StringIO(), stderr=stderr)
    # then exactly those rows are named, with their column, and nothing is written
    assert refused.value.returncode == 1
    lines = stderr.getvalue().splitlines()
    named = sorted((line.split(" ")[0], line.split(" ")[1].rstrip(":")) for line in lines)
    assert named == sorted((f"保单!第{index + 2}行", column) for index, (column, _) in BAD.items()), lines
    assert table_counts() == before

    # when the corrected workbook is imported
    good = write(tmp_path / "good.xlsx", bad=False)
    out = StringIO()
    call_command("import_workbook", str(good), stdout=out, stderr=StringIO())
    assert f"保单: 新增 {ROWS:,}".replace(",", "") in out.getvalue().replace(",", "")
    assert Policy.objects.count() == ROWS
    assert Vehicle.objects.count() == ROWS // 2
    assert VehicleTerm.objects.count() == ROWS // 2
    imported = table_counts()
    snapshot = list(Policy.objects.order_by("pk").values())

    # and imported again, nothing changes
    again = StringIO()
    call_command("import_workbook", str(good), stdout=again, stderr=StringIO())
    assert f"保单: 新增 0，更新 0，未变 {ROWS}" in again.getvalue().replace(",", "")
    assert table_counts() == imported
    assert list(Policy.objects.order_by("pk").values()) == snapshot
