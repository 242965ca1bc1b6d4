from decimal import Decimal

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from incentives.selectors import payout_totals
from incentives.services import compute_payout, set_targets
from reports.excel import safe_text
from reports.models import ReportFile
from reports.rates import points_decimal, rate_decimal
from reports.selectors import month_report
from reports.services import build_battle_file, reports_dir
from reports.workbooks.battle import SHEETS
from tests.factories import make_staff
from tests.reports.conftest import CUT_OFF, MAY

pytestmark = pytest.mark.django_db


def rows_of(sheet):
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def row_starting(rows, *labels):
    for row in rows:
        if tuple(row[: len(labels)]) == labels:
            return row
    raise AssertionError(f"no row {labels}")


def as_number(value):
    return None if value is None else Decimal(str(value))


def test_battle_report_has_every_sheet_and_the_dashboards_figures(client, world, tmp_path):
    # given a category target and a draft payout for BJ01 (the incentives app's own services)
    set_targets(branch=world.bj, month=MAY, by=world.zhao, staff_counts={world.zhao.pk: 5, world.li.pk: 3},
                category_counts={1: 2})  # fmt: skip
    run = compute_payout(branch=world.bj, month=MAY, by=None)
    out = tmp_path / "battle.xlsx"
    call_command("battle_report", month="2026-05", out=str(out), cut_off="2026-06-01 01:00")
    division = make_staff(world.bj, "division", employee_no="HQ001")
    client.force_login(division.user)
    with time_machine.travel(CUT_OFF, tick=False):  # the page's cut-off (now) = the workbook's
        context = client.get(reverse("reports:dashboard"), {"month": "2026-05"}).context

    workbook = load_workbook(out)
    assert workbook.sheetnames == list(SHEETS)
    summary = rows_of(workbook["汇总"])
    assert summary[1][0].startswith("数据截至 2026-06-01 01:00")
    assert all(rows_of(workbook[name])[1][0].startswith("数据截至 2026-06-01 01:00") for name in SHEETS)
    report = context["report"]
    for row in report.rows:
        cells = row_starting(summary, row.name)
        cohort = row.cohort
        assert cells[1:5] == [cohort.due, cohort.excluded, cohort.renewable, cohort.renewed]
        assert as_number(cells[5]) == rate_decimal(cohort.rate_due)
        assert as_number(cells[6]) == rate_decimal(cohort.rate_renewable)
        assert as_number(cells[7]) == points_decimal(row.change_points())
        assert as_number(cells[10]) == rate_decimal(cohort.full_cover_rate)
        assert cells[11:18] == [cohort.lost, cohort.in_review, cohort.unresolved, row.sales.total, row.sales.store,
                                row.sales.telesales, cells[17]]  # fmt: skip

    tiles = {tile["key"]: tile["value"] for tile in context["tiles"]}
    total = row_starting(summary, "事业部合计")
    assert [f"{total[i]:,}" for i in (1, 3, 4)] == [tiles["due"], tiles["renewable"], tiles["renewed"]]
    assert f"{Decimal(str(total[5])) * 100:.1f}%" == tiles["rate"] == "45.5%"
    assert f"{Decimal(str(total[10])) * 100:.1f}%" == tiles["full"] == "60.0%"
    assert total[11] == int(tiles["lost"]) == 3
    assert row_starting(summary, "深圳南山店")[1:6] == [0, 0, 0, 0, None]  # zeros, and no rate
    first = row_starting(summary, "事业部合计", "1 · 本店出单")
    assert first[2:4] == [context["categories"][0]["due"], context["categories"][0]["target"]]
    assert workbook["汇总"]["F4"].number_format == "0.0%"
    assert workbook["汇总"].freeze_panes == "A4"

    staff = rows_of(workbook["员工"])
    for person in report.staff:
        cells = row_starting(staff, person.branch_name, person.employee_no)
        assert cells[4:7] == [person.cohort.due, person.cohort.renewable, person.cohort.renewed]
        assert cells[12:14] == [person.credited_store, person.credited_telesales]

    reasons = rows_of(workbook["战败原因"])
    assert row_starting(reasons, "事业部合计", "PRICE")[4] == 1
    assert row_starting(reasons, "事业部合计", "MOVED_AWAY")[4] == 1
    assert row_starting(reasons, "事业部合计", "REVIEWED")[4] == report.division.cohort.lost
    assert row_starting(reasons, "北京亚运村店", "IN_REVIEW")[4] == 1

    payouts = rows_of(workbook["提成"])
    expected = payout_totals(MAY)
    bj = row_starting(payouts, "北京亚运村店")
    assert bj[1] == "草稿" == expected[world.bj.pk]["status_label"]
    assert as_number(bj[5]) == expected[world.bj.pk]["total"] == run.total
    assert bj[3:5] == [run.store_count, run.telesales_count]
    assert row_starting(payouts, "成都高新店")[1] == "未生成" and row_starting(payouts, "成都高新店")[5] is None
    assert as_number(row_starting(payouts, "事业部合计")[5]) == run.total
    # the payout counts renewals sold in May as of now; so do the selectors at the same cut-off
    now_sales = month_report(month=MAY, cut_off=timezone.now()).row_for(world.bj.pk).sales
    assert (run.store_count, run.telesales_count) == (now_sales.store, now_sales.telesales)
    # the division's target is the sum of its branches': BJ01's edited 目标台数 2, CD01 ⌈75% × 1⌉, SZ01 0
    assert first[3] == 2 + 1 + 0
    assert row_starting(summary, "北京亚运村店", "1 · 本店出单")[3:5] == [2, "目标台数"]
    perks = rows_of(workbook["权益"])
    assert perks[2][0] == "门店"
    from perks.selectors import perk_month_rows

    expected_perks = perk_month_rows(world.bj, MAY)
    subtotal = row_starting(perks, "北京亚运村店", "小计")
    assert subtotal[2:4] == [sum(r.issued for r in expected_perks), sum(r.redeemed for r in expected_perks)]
    assert as_number(subtotal[4]) == sum(r.cost for r in expected_perks)


def test_a_branch_workbook_has_only_its_row(world, tmp_path):
    out = tmp_path / "bj.xlsx"
    call_command("battle_report", month="2026-05", out=str(out), branch="BJ01", cut_off="2026-06-01 01:00")
    summary = rows_of(load_workbook(out)["汇总"])
    assert row_starting(summary, "北京亚运村店")[1:5] == [9, 1, 8, 4]
    assert not any(row[0] in ("事业部合计", "成都高新店") for row in summary)


def test_bad_arguments_are_refused(world, tmp_path):
    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("battle_report", month="2026/05", out=str(tmp_path / "x.xlsx"))
    with pytest.raises(CommandError, match="门店编码"):
        call_command("battle_report", month="2026-05", out=str(tmp_path / "x.xlsx"), branch="NOPE")


@pytest.mark.parametrize("text", ["=1+1", "+86 138", "-5", "@SUM(A1)", "\tx", "\rx", '=HYPERLINK("http://e","x")'])
def test_formula_prefixes_are_escaped(text):
    assert safe_text(text) == "'" + text
    assert safe_text("王=五") == "王=五"


def test_a_customer_named_like_a_formula_comes_out_as_text(world, tmp_path):
    out = tmp_path / "register.xlsx"
    call_command("renewal_register", month="2026-05", out=str(out), cut_off="2026-06-01 01:00")
    sheet = load_workbook(out)["续保客户登记表"]
    rows = rows_of(sheet)
    assert rows[2][:3] == ["门店", "客户", "电话"]
    evil = next(row for row in rows[3:] if "HYPERLINK" in (row[1] or ""))
    assert evil[1] == '\'=HYPERLINK("http://evil","点我")'
    assert evil[2] == "138****5678"  # masked by default
    cell = next(c for row in sheet.iter_rows(min_row=4) for c in row if "HYPERLINK" in str(c.value or ""))
    assert cell.data_type == "s"
    assert len(rows) - 3 == 5  # every renewal sold in May by the cut-off = 到店 4 + 电销 1 of the 汇总


def test_register_with_full_phones_when_asked(world, tmp_path):
    out = tmp_path / "register.xlsx"
    call_command("renewal_register", month="2026-05", out=str(out), branch="BJ01", full_phones=True,
                 cut_off="2026-06-01 01:00")  # fmt: skip
    rows = rows_of(load_workbook(out).active)
    assert any(row[2] == "13812345678" for row in rows[3:])


def test_rebuilding_replaces_the_file_with_identical_numbers(world):
    first = build_battle_file(month=MAY, branch=None, cut_off=CUT_OFF)
    before = {
        name: rows_of(sheet)
        for name, sheet in zip(SHEETS, load_workbook(reports_dir() / first.path).worksheets, strict=True)
    }
    second = build_battle_file(month=MAY, branch=None, cut_off=CUT_OFF)
    after = {
        name: rows_of(sheet)
        for name, sheet in zip(SHEETS, load_workbook(reports_dir() / second.path).worksheets, strict=True)
    }
    assert second.pk == first.pk and ReportFile.objects.count() == 1
    assert after == before


def test_the_expiry_board_lists_every_case_of_the_month_as_of_the_cut_off(world, tmp_path):
    from reports.services import build_board_file

    out = tmp_path / "board.xlsx"
    count = build_board_file(month=MAY, branch_ids=[world.bj.pk], scope="北京亚运村店", cut_off=CUT_OFF, path=out)
    rows = rows_of(load_workbook(out).active)[3:]
    assert count == len(rows) == 9  # 应续 of the 汇总
    by_plate = {row[2]: row for row in rows}
    late = by_plate[world.cases["late"].vehicle.plate]
    assert late[13] == "跟进中" and as_number(late[12]) == Decimal("0.14")  # renewed only after the cut-off
    lost = by_plate[world.cases["l1"].vehicle.plate]
    assert lost[13] == "已战败" and lost[14] == "价格高/优惠不足" and lost[8] == "王芳"
    assert by_plate[world.cases["r1"].vehicle.plate][1] == '\'=HYPERLINK("http://evil","点我")'
