"""Report builds in the background (DOMAIN.md §12 "The 1st"). Tasks take ids and dates, call one service each.

On the 1st at 01:00 (beat) `build_month_end_task` starts one chain per branch: catch the daily job up to the
month's last day → recompute the branch's draft payout → build and store the branch's 战报表. The chain that
finishes last builds the division's workbook and notifies the division. Every step is idempotent: a redelivered
task rebuilds the same file with the same cut-off, which replaces it with identical numbers.
"""

from __future__ import annotations

import logging
from datetime import date, datetime

from celery import chain, shared_task
from django.core.cache import cache
from django.utils.dateparse import parse_date, parse_datetime

from policies.models import Branch
from renewal_desk.months import month_end
from reports.models import ReportFile, ReportKind
from reports.periods import month_end_cut_off, previous_full_month

logger = logging.getLogger(__name__)
LOCK_SECONDS = 6 * 3600
DIVISION_CLAIM_SECONDS = 15 * 60


def _month(text: str) -> date:
    return parse_date(text)


def _cut_off(text: str) -> datetime:
    return parse_datetime(text)


@shared_task(name="reports.tasks.build_month_end_task")
def build_month_end_task(month: str | None = None) -> int:
    """Start the month-end chains for every branch; returns how many were started."""
    report_month = _month(month) if month else previous_full_month()
    cut_off = month_end_cut_off(report_month)
    branch_ids = list(Branch.objects.order_by("code").values_list("pk", flat=True))
    for branch_id in branch_ids:
        chain(
            catch_up_daily_task.si(report_month.isoformat()),
            recompute_draft_payout_task.si(branch_id, report_month.isoformat()),
            build_branch_battle_task.si(branch_id, report_month.isoformat(), cut_off.isoformat()),
        ).apply_async()
    if not branch_ids:
        build_division_battle_task.delay(report_month.isoformat(), cut_off.isoformat())
    return len(branch_ids)


@shared_task(name="reports.tasks.catch_up_daily_task")
def catch_up_daily_task(month: str) -> str:
    """Run the daily job for the month's last day (it catches up missed days), once per month-end."""
    last_day = month_end(_month(month))
    done_key = f"reports:caught-up:{last_day.isoformat()}"
    if cache.get(done_key):
        return "already caught up"
    try:
        from followups.services import run_daily
    except (ImportError, AttributeError):
        return "run_daily 不可用：跳过补跑"
    # The daily job serialises concurrent runs itself; the chains of other branches then find nothing to do.
    run_daily(day=last_day)
    cache.set(done_key, True, LOCK_SECONDS)
    return f"caught up to {last_day.isoformat()}"


@shared_task(name="reports.tasks.recompute_draft_payout_task")
def recompute_draft_payout_task(branch_id: int, month: str) -> str:
    """Recompute the branch's draft payout through the incentives app's service.

    An approved or locked run is left alone (recomputing would withdraw an approval); a refusal (e.g. missing
    targets) is kept for a week so the 提成 sheet can say why there is no run.
    """
    try:
        from incentives.errors import IncentiveError
        from incentives.models import PayoutRun
        from incentives.services import compute_payout
    except (ImportError, AttributeError):
        return "提成模块未提供草稿计算服务：未重算"
    report_month = _month(month)
    run = PayoutRun.objects.filter(branch_id=branch_id, month=report_month).first()
    if run is not None and run.state != PayoutRun.State.DRAFT:
        return f"发放已{run.get_state_display()}：不重算"
    try:
        compute_payout(branch=Branch.objects.get(pk=branch_id), month=report_month, by=None)
    except IncentiveError as error:
        cache.set(payout_refusal_key(branch_id, report_month), error.message, 7 * 24 * 3600)
        logger.warning("draft payout of branch %s for %s refused: %s", branch_id, month, error.message)
        return error.message
    cache.delete(payout_refusal_key(branch_id, report_month))
    return "draft payout recomputed"


def payout_refusal_key(branch_id: int, month: date) -> str:
    return f"reports:payout-refused:{branch_id}:{month.isoformat()}"


@shared_task(name="reports.tasks.build_branch_battle_task")
def build_branch_battle_task(branch_id: int, month: str, cut_off: str) -> int:
    from reports.services import build_battle_file

    report_month, moment = _month(month), _cut_off(cut_off)
    report_file = build_battle_file(month=report_month, branch=Branch.objects.get(pk=branch_id), cut_off=moment)
    _division_when_all_branches_built(report_month, moment)
    return report_file.pk


def _division_when_all_branches_built(month: date, cut_off: datetime) -> None:
    branches = Branch.objects.count()
    built = ReportFile.objects.filter(
        kind=ReportKind.BATTLE, month=month, cut_off=cut_off, branch__isnull=False
    ).count()
    if built < branches:
        return
    # Two chains finishing together both see every branch built; the atomic add lets one of them continue.
    if not cache.add(f"reports:division:{month.isoformat()}:{cut_off.isoformat()}", True, DIVISION_CLAIM_SECONDS):
        return
    build_division_battle_task.delay(month.isoformat(), cut_off.isoformat())


@shared_task(name="reports.tasks.build_division_battle_task")
def build_division_battle_task(month: str, cut_off: str) -> int:
    from reports.services import build_battle_file, notify_division

    report_month, moment = _month(month), _cut_off(cut_off)
    report_file = build_battle_file(month=report_month, branch=None, cut_off=moment)
    notify_division(month=report_month, cut_off=moment)
    return report_file.pk


@shared_task(name="reports.tasks.build_report_task")
def build_report_task(build_id: int) -> str:
    """An on-demand build from the reports pages (cut-off = the time of the request)."""
    from reports.builds import run_build

    return run_build(build_id)
