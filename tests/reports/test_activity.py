from datetime import date, timedelta

import pytest
from openpyxl import load_workbook

from followups.models import Contact
from reports.builds import request_build, run_build
from reports.models import ReportBuild, ReportKind
from reports.selectors.activity import activity_report
from reports.services import reports_dir
from tests.reports.conftest import local

pytestmark = pytest.mark.django_db


def rows_by_name(report):
    return {row.name: row for row in report.rows}


def test_daily_counts_by_local_date(world):
    Contact.objects.create(case=world.cases["r4"], staff=world.chen, at=local(date(2026, 5, 20), 9), result="reached",
                           effective=True)  # fmt: skip
    Contact.objects.create(case=world.cases["r4"], staff=world.chen, at=local(date(2026, 5, 20), 23, 30),
                           result="no_answer")  # fmt: skip
    Contact.objects.create(case=world.cases["o1"], staff=world.chen, at=local(date(2026, 5, 21), 0, 10),
                           result="no_answer")  # 00:10 local on the 21st: the next day  # fmt: skip
    day = date(2026, 5, 20)
    report = activity_report(first_day=day, last_day=day, branch_ids=[world.bj.pk], now=local(date(2026, 6, 2)))
    chen = rows_by_name(report)["陈晨"]
    assert (chen.due, chen.contacted, chen.effective, chen.renewals) == (1, 1, 1, 1)  # r4 due; r3 renewed that day
    assert rows_by_name(report)["王芳"].due == 0
    assert set(rows_by_name(report)) == {"王芳", "陈晨"}  # every specialist has a row, zeros included


def test_weekly_counts_reviewed_losses_by_reason_and_quotes(world):
    monday = date(2026, 5, 11)  # ISO week 2026-W20: 05-11 … 05-17
    report = activity_report(first_day=monday, last_day=monday + timedelta(days=6), branch_ids=[world.bj.pk],
                             now=local(date(2026, 6, 2)))  # fmt: skip
    wang, chen = rows_by_name(report)["王芳"], rows_by_name(report)["陈晨"]
    assert wang.lost_by_reason == {"PRICE": 1}  # l1 reviewed on 05-14; x1 on 05-09 is the week before
    assert (wang.quotes, chen.quotes) == (1, 1)  # r2's quote on 05-11, r3's on 05-14
    assert wang.renewals == 1 and chen.renewals == 0  # r2 on 05-12
    assert (wang.due, chen.due, report.totals.due) == (1, 1, 2)  # T in the week: r2 (05-12) and r3 (05-15)


def test_a_specialists_weekly_workbook_holds_only_their_row(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        build = request_build(
            user=world.wang.user, kind=ReportKind.WEEKLY, branch=world.bj, period_start=date(2026, 5, 11),
            period_end=date(2026, 5, 17), staff_only=world.wang,
        )  # fmt: skip
    assert run_build(build.pk) == "done"
    assert run_build(build.pk) == "already handled"  # a redelivered task does nothing
    build.refresh_from_db()
    assert build.state == ReportBuild.State.DONE
    sheet = load_workbook(reports_dir() / build.path).active
    rows = list(sheet.iter_rows(min_row=4, values_only=True))
    assert [row[2] for row in rows] == ["王芳", "合计"]
    assert rows[0][3:9] == (1, 0, 0, 1, 1, 1)  # due, contacted, effective, quotes, renewals, 战败
