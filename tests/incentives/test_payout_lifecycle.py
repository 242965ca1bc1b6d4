"""Payout runs from draft to lock: maker ≠ checker, a locked month never changes, adjustments, the sheet."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from incentives.errors import IncentiveError, MakerCheckerError
from incentives.exports import all_branches_sheet_bytes, branch_sheet_bytes
from incentives.models import ImmutableRecordError, PayoutLine, PayoutRun, RuleVersion
from incentives.rules import RoleRates, default_ruleset
from incentives.selectors import SHEET_HEADERS, json_row, payout_sheet_rows, payout_totals
from incentives.services import (
    approve_payout,
    compute_payout,
    create_draft_version,
    lock_payout,
    publish_version,
    set_targets,
    submit_for_review,
    update_draft_version,
)
from policies.models import Policy
from policies.services import rebuild_terms
from renewal_desk.roles import Role
from tests.factories import make_staff
from tests.incentives.builders import renewal

pytestmark = pytest.mark.django_db
D = Decimal
MAY, JUNE, JULY = date(2026, 5, 1), date(2026, 6, 1), date(2026, 7, 1)


@pytest.fixture
def may_sales(cd01, people):
    """May: three in-store renewals for 杨雪 (callback, her cases) with the seller and lead, one telesales for 黄磊."""
    terms = [
        renewal(cd01, signed_on=date(2026, 5, 5 + i), callback=people["yang"], seller=people["seller"],
                lead=people["lead"], assignee=people["yang"], t_date=date(2026, 5, 20))[0]
        for i in range(3)
    ]  # fmt: skip
    renewal(cd01, signed_on=date(2026, 5, 9), channel="telesales", callback=people["huang"], lead=people["lead"])
    # June is the programme's 4th month: targets for everyone who needs one.
    for month in (JUNE, JULY):
        counts = {people[key].pk: 10 for key in ("lead", "yang", "huang", "seller")}
        set_targets(branch=cd01, month=month, by=people["manager"], staff_counts=counts, category_counts={})
    return terms


def json_lines(branch_code: str, month: str) -> list[str]:
    out = io.StringIO()
    call_command("payout", "--branch", branch_code, "--month", month, "--json", stdout=out, stderr=io.StringIO())
    return out.getvalue().splitlines()


def xlsx_values(content: bytes) -> list[tuple]:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    return [tuple(cell.value for cell in row) for row in sheet.iter_rows(min_row=3)]


def locked_may(cd01, people) -> PayoutRun:
    run = compute_payout(branch=cd01, month=MAY, by=people["finance2"])
    approve_payout(run=run, by=people["finance"])
    return lock_payout(run=run, by=people["finance"])


def test_the_payout_command_prints_one_json_object_per_person_keyed_by_the_sheet_headers(cd01, people, may_sales):
    lines = [json.loads(line) for line in json_lines("CD01", "2026-05")]
    assert [line["工号"] for line in lines] == ["CD0101", "CD0102", "CD0104", "CD0201"]
    yang = lines[1]
    assert list(yang) == SHEET_HEADERS
    assert yang["提成"] == "60.00" and yang["到店单数"] == 3 and yang["电销单数"] == 0
    assert yang["角色"] == "续保专员、回访员" and yang["规则版本"] == "v1" and yang["门店"] == "成都高新店"
    assert lines[2]["提成"] == "10.00" and lines[2]["电销单数"] == 1


def test_the_payout_command_writes_the_sheet_and_refuses_unknown_input(cd01, people, may_sales, tmp_path):
    out = tmp_path / "may.xlsx"
    call_command("payout", "--branch", "CD01", "--month", "2026-05", "--out", str(out), stderr=io.StringIO())
    rows = xlsx_values(out.read_bytes())
    assert rows[0][:3] == ("工号", "姓名", "门店")
    with pytest.raises(CommandError, match="没有门店编码为 XX"):
        call_command("payout", "--branch", "XX", "--month", "2026-05")
    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("payout", "--branch", "CD01", "--month", "May")


def test_approval_needs_a_second_finance_person(cd01, people, may_sales):
    run = compute_payout(branch=cd01, month=MAY, by=people["finance"])
    with pytest.raises(MakerCheckerError, match="另一位财务"):
        approve_payout(run=run, by=people["finance"])
    with pytest.raises(IncentiveError, match="只有财务"):
        approve_payout(run=run, by=people["manager"])
    with pytest.raises(IncentiveError, match="只有已批准"):
        lock_payout(run=run, by=people["finance2"])
    approve_payout(run=run, by=people["finance2"])
    assert PayoutRun.objects.get().state == "approved"


def test_the_database_refuses_an_approver_who_prepared_the_run(cd01, people, may_sales):
    run = compute_payout(branch=cd01, month=MAY, by=people["finance"])
    with pytest.raises(IntegrityError), transaction.atomic():
        PayoutRun.objects.filter(pk=run.pk).update(
            state="approved", approved_by=people["finance"], approved_at=timezone.now()
        )


def test_recomputing_an_approved_run_withdraws_the_approval(cd01, people, may_sales):
    run = compute_payout(branch=cd01, month=MAY, by=people["finance"])
    approve_payout(run=run, by=people["finance2"])
    run = compute_payout(branch=cd01, month=MAY, by=people["finance2"])
    assert (run.state, run.approved_by, run.prepared_by) == ("draft", None, people["finance2"])


def test_locking_marks_the_rule_version_used(cd01, people, may_sales):
    locked_may(cd01, people)
    assert RuleVersion.objects.get(label="v1").used


def test_a_locked_month_never_changes_after_a_rule_change_and_a_recompute(cd01, people, may_sales):
    # given a locked May and its sheet
    run = locked_may(cd01, people)
    before_json = json_lines("CD01", "2026-05")
    before_xlsx = xlsx_values(branch_sheet_bytes(run))[:-1]
    # when a new version with higher rates is published for May onwards and May is "recomputed"
    draft = create_draft_version(by=people["admin"], effective_from=MAY)
    update_draft_version(version=draft, by=people["admin"],
                         rules=replace(default_ruleset(), commission=RoleRates(D("30"), D("80"), D("15"))))  # fmt: skip
    submit_for_review(version=draft, by=people["admin"])
    publish_version(version=draft, by=people["admin2"])
    with pytest.raises(IncentiveError, match="已锁定"):
        compute_payout(branch=cd01, month=MAY, by=people["finance"])
    # then the sheet is the same, number for number
    assert json_lines("CD01", "2026-05") == before_json
    assert xlsx_values(branch_sheet_bytes(PayoutRun.objects.get(month=MAY)))[:-1] == before_xlsx
    with pytest.raises(ImmutableRecordError):
        PayoutLine.objects.filter(run=run).first().save()
    # and the next month books no adjustment for a rule change alone
    june = compute_payout(branch=cd01, month=JUNE, by=people["finance"])
    assert not june.lines.filter(adjusts_month__isnull=False).exists()


def test_a_cancellation_in_a_locked_month_becomes_an_adjustment_line_in_the_next_open_month(cd01, people, may_sales):
    run = locked_may(cd01, people)
    yang_may = run.lines.get(employee_no="CD0102")
    # 退保 of one of 杨雪's May renewals, after May was locked
    cancelled = may_sales[0]
    Policy.objects.filter(term=cancelled).update(cancelled_on=date(2026, 6, 3))
    rebuild_terms([cancelled.vehicle_id])
    june = compute_payout(branch=cd01, month=JUNE, by=people["finance"])
    adjustments = {line.employee_no: line for line in june.lines.filter(adjusts_month=MAY)}
    assert set(adjustments) == {"CD0101", "CD0102", "CD0201"}
    yang = adjustments["CD0102"]
    assert yang.adjustment_of == yang_may
    assert (yang.commission, yang.store_count) == (D("-20.00"), -1)
    assert yang.bonus < 0  # one renewed case fewer in her cohort: r and f fell
    assert (
        yang.total
        == sum((getattr(yang, f) for f in ("commission", "ramp", "bonus", "salary", "team", "rank", "special")), D(0))
        - yang.penalty
    )
    assert "更正 2026-05" in yang.note and "提成 60.00 → 40.00" in yang.note
    assert (adjustments["CD0201"].commission, adjustments["CD0101"].commission) == (D("-50.00"), D("-10.00"))
    # the locked May is untouched
    assert PayoutRun.objects.get(month=MAY).lines.get(employee_no="CD0102").commission == D("60.00")
    # once June (with its adjustments) is locked, July books nothing more for May
    approve_payout(run=june, by=people["finance2"])
    lock_payout(run=june, by=people["finance2"])
    july = compute_payout(branch=cd01, month=JULY, by=people["finance"])
    assert not july.lines.filter(adjusts_month__isnull=False).exists()


def test_the_sheet_totals_add_up_exactly(cd01, people, may_sales):
    run = compute_payout(branch=cd01, month=MAY, by=people["finance"])
    rows = payout_sheet_rows(run)
    for row in rows:
        parts = sum(
            (row[h] for h in ("提成", "破冰奖励", "系数奖金", "续保率奖金", "团队奖励", "排名奖励", "专项奖励")), D(0)
        )
        assert row["合计"] == parts - row["扣款"]
    values = xlsx_values(branch_sheet_bytes(run))
    header, body, footer = values[0], values[1:-1], values[-1]
    assert footer[0] == "合计"
    for column, name in enumerate(header):
        if name in ("到店单数", "电销单数", "提成", "系数奖金", "续保率奖金", "扣款", "合计"):
            assert D(str(footer[column])) == sum((D(str(row[column])) for row in body), D(0))
    assert D(str(footer[header.index("合计")])) == run.total == sum((row["合计"] for row in rows), D(0))
    assert payout_totals(MAY)[cd01.pk] | {} == {
        "status": "draft", "status_label": "草稿", "total": run.total, "lines": 4,
        "store_count": 3, "telesales_count": 1, "reason": "",
    }  # fmt: skip


def test_branches_without_a_run_say_why_in_payout_totals(cd01):
    assert payout_totals(MAY)[cd01.pk]["status"] is None
    assert payout_totals(MAY)[cd01.pk]["reason"]


def test_text_cells_cannot_become_formulas(cd01, people):
    attacker = make_staff(cd01, Role.CALLBACK, employee_no="CD0666", name='=HYPERLINK("http://x","点我")')
    plus = make_staff(cd01, Role.SELLER, employee_no="CD0667", name="+1-2")
    renewal(cd01, signed_on=date(2026, 5, 5), callback=attacker, seller=plus)
    run = compute_payout(branch=cd01, month=MAY, by=None)
    for content in (branch_sheet_bytes(run), all_branches_sheet_bytes(MAY)):
        sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
        cells = [cell for row in sheet.iter_rows() for cell in row if isinstance(cell.value, str)]
        assert all(cell.data_type == "s" for cell in cells)
        names = {cell.value for cell in cells}
        assert '\'=HYPERLINK("http://x","点我")' in names and "'+1-2" in names
    (line,) = [json_row(row) for row in payout_sheet_rows(run) if row["工号"] == "CD0666"]
    assert line["姓名"].startswith("=")  # JSON is data, not a spreadsheet: the name stays as it is


def test_the_all_branches_sheet_lists_every_run_with_a_summary(cd01, people, may_sales):
    compute_payout(branch=cd01, month=MAY, by=None)
    book = openpyxl.load_workbook(io.BytesIO(all_branches_sheet_bytes(MAY)))
    assert book.sheetnames == ["全部门店", "汇总"]
    summary = [tuple(c.value for c in row) for row in book["汇总"].iter_rows(min_row=4)]
    assert summary[0][0] == "成都高新店" and summary[-1][0] == "合计"
