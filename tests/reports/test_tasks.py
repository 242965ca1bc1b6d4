import pytest
import time_machine
from django.conf import settings
from django.core import mail
from openpyxl import load_workbook

from reports.models import ReportFile, ReportKind, ReportNotice
from reports.services import reports_dir, sha256_of
from reports.tasks import build_month_end_task
from tests.factories import make_staff
from tests.reports.conftest import CUT_OFF, MAY

pytestmark = pytest.mark.django_db


def test_the_beat_entry_points_at_the_month_end_task():
    entry = settings.CELERY_BEAT_SCHEDULE["monthly-battle-report"]
    assert entry["task"] == build_month_end_task.name == "reports.tasks.build_month_end_task"


def test_month_end_builds_every_branch_then_the_division_and_notifies(world):
    division = make_staff(world.bj, "division", employee_no="HQ001")
    division.user.email = "hq@example.com"
    division.user.save(update_fields=["email"])
    make_staff(world.cd, "division", employee_no="HQ002")  # no email: an in-app notice only

    with time_machine.travel(CUT_OFF, tick=False):  # the beat fires at 01:00 on the 1st
        started = build_month_end_task()

    assert started == 3
    files = ReportFile.objects.filter(kind=ReportKind.BATTLE, month=MAY)
    assert sorted((f.branch.code if f.branch else "division") for f in files) == ["BJ01", "CD01", "SZ01", "division"]
    assert {f.cut_off for f in files} == {CUT_OFF}
    for report_file in files:
        path = reports_dir() / report_file.path
        assert path.exists() and sha256_of(path) == report_file.sha256
    division_file = files.get(branch__isnull=True)
    summary = load_workbook(reports_dir() / division_file.path)["汇总"]
    assert [c.value for c in summary[7]][:5] == ["事业部合计", 11, 2, 9, 5]
    payouts = load_workbook(reports_dir() / division_file.path)["提成"]
    bj = next(row for row in payouts.iter_rows(values_only=True) if row[0] == "北京亚运村店")
    # The chain tried the draft payout; the incentives app refused it (no targets): 未生成, with its reason.
    assert bj[1] == "未生成" and "缺少月度目标" in bj[6]
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["hq@example.com"]
    assert ReportNotice.objects.filter(month=MAY).count() == 2


def test_the_chain_recomputes_a_draft_payout_but_never_an_approved_one(world):
    from incentives.models import PayoutRun
    from incentives.services import approve_payout, set_targets

    set_targets(branch=world.bj, month=MAY, by=world.zhao, staff_counts={world.zhao.pk: 5, world.li.pk: 3},
                category_counts={})  # fmt: skip
    build_month_end_task(month="2026-05-01")
    run = PayoutRun.objects.get(branch=world.bj, month=MAY)
    assert run.state == PayoutRun.State.DRAFT
    approve_payout(run=run, by=make_staff(world.bj, "finance", employee_no="FN001"))
    marked = run.total + 1
    PayoutRun.objects.filter(pk=run.pk).update(total=marked)  # a recomputation would put it back
    build_month_end_task(month="2026-05-01")
    run.refresh_from_db()
    assert run.state == PayoutRun.State.APPROVED  # not recomputed (that would withdraw the approval)
    assert run.total == marked
    summary = load_workbook(reports_dir() / ReportFile.objects.get(branch=world.bj).path)["提成"]
    assert next(row for row in summary.iter_rows(values_only=True) if row[0] == "北京亚运村店")[1] == "已批准"


def test_running_the_month_end_again_replaces_the_files(world):
    build_month_end_task(month="2026-05-01")
    first = {f.pk: f.path for f in ReportFile.objects.all()}
    build_month_end_task(month="2026-05-01")
    assert {f.pk: f.path for f in ReportFile.objects.all()} == first
