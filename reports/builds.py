"""On-demand builds requested on the reports pages: queued on commit, claimed once, progress kept on the row.

The cut-off of an on-demand build is the moment it was requested. A 战报表 built this way replaces the stored
file of that month and branch (like the scheduled one); a register with full phones and the 日报/周报/到期管理表
stay with the build and only their requester downloads them.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

from django.utils import timezone

from policies.models import Branch, Staff
from reports.models import ReportBuild, ReportKind
from reports.services import (
    build_battle_file,
    build_board_file,
    build_register_file,
    reports_dir,
    sha256_of,
    store_report_file,
    temporary_path,
)

logger = logging.getLogger(__name__)


def request_build(
    *, user, kind: str, branch: Branch | None, period_start: date, period_end: date, full_phones: bool = False,
    staff_only: Staff | None = None,
) -> ReportBuild:  # fmt: skip
    build = ReportBuild.objects.create(
        kind=kind, branch=branch, period_start=period_start, period_end=period_end, cut_off=timezone.now(),
        full_phones=full_phones, staff_only=staff_only, requested_by=user, progress="排队中",
    )  # fmt: skip
    if full_phones:
        # The reveal is logged here and kept on the build row (who, when, which branch and month).
        logger.info("register with full phones requested by user %s for branch %s, %s", user.pk, branch, period_start)
    from reports.tasks import build_report_task

    build_report_task.delay_on_commit(build.pk)
    return build


def _progress(build_id: int, text: str) -> None:
    ReportBuild.objects.filter(pk=build_id).update(progress=text[:200])


def run_build(build_id: int) -> str:
    claimed = ReportBuild.objects.filter(pk=build_id, state=ReportBuild.State.QUEUED).update(
        state=ReportBuild.State.RUNNING, progress="正在生成…"
    )
    if not claimed:
        return "already handled"  # a redelivered task: another worker has it, or it is done
    build = ReportBuild.objects.select_related("branch").get(pk=build_id)
    try:
        _run(build)
    except Exception as error:
        logger.exception("report build %s failed", build_id)
        ReportBuild.objects.filter(pk=build_id).update(
            state=ReportBuild.State.FAILED, error=str(error)[:500], progress="生成失败", finished_at=timezone.now()
        )
        return "failed"
    return "done"


def _scope(build: ReportBuild) -> tuple[list[int], str]:
    if build.branch_id:
        return [build.branch_id], build.branch.name
    return list(Branch.objects.order_by("code").values_list("pk", flat=True)), "事业部"


def _private_path(build: ReportBuild) -> Path:
    folder = reports_dir() / "builds"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{build.pk}-{build.kind}.xlsx"


def _finish(build: ReportBuild, *, report_file=None, path: Path | None = None, progress: str) -> None:
    fields = {"state": ReportBuild.State.DONE, "progress": progress, "finished_at": timezone.now()}
    if report_file is not None:
        fields["report_file"] = report_file
    if path is not None:
        fields["path"] = str(path.relative_to(reports_dir()))
        fields["sha256"] = sha256_of(path)
    ReportBuild.objects.filter(pk=build.pk).update(**fields)


def _run(build: ReportBuild) -> None:
    month, cut_off = build.period_start, build.cut_off
    branch_ids, scope = _scope(build)

    def progress(rows: int) -> None:
        _progress(build.pk, f"已写入 {rows:,} 行…")

    if build.kind == ReportKind.BATTLE:
        _progress(build.pk, "正在汇总本月数据…")
        report_file = build_battle_file(month=month, branch=build.branch, cut_off=cut_off)
        _finish(build, report_file=report_file, progress="已完成")
    elif build.kind == ReportKind.REGISTER and not build.full_phones:
        built = temporary_path()
        try:
            rows = build_register_file(
                month=month, branch_ids=branch_ids, scope=scope, cut_off=cut_off, full_phones=False, path=built,
                progress=progress,
            )  # fmt: skip
            report_file = store_report_file(
                kind=ReportKind.REGISTER, month=month, branch=build.branch, cut_off=cut_off, built=built
            )
        finally:
            built.unlink(missing_ok=True)
        _finish(build, report_file=report_file, progress=f"已完成，共 {rows:,} 行")
    elif build.kind == ReportKind.REGISTER:
        path = _private_path(build)
        rows = build_register_file(
            month=month, branch_ids=branch_ids, scope=scope, cut_off=cut_off, full_phones=True, path=path,
            progress=progress,
        )  # fmt: skip
        _finish(build, path=path, progress=f"已完成，共 {rows:,} 行（含完整电话）")
    elif build.kind == ReportKind.BOARD:
        path = _private_path(build)
        rows = build_board_file(month=month, branch_ids=branch_ids, scope=scope, cut_off=cut_off, path=path,
                                progress=progress)  # fmt: skip
        _finish(build, path=path, progress=f"已完成，共 {rows:,} 行")
    elif build.kind in (ReportKind.DAILY, ReportKind.WEEKLY):
        from reports.selectors.activity import activity_report
        from reports.workbooks.activity import write_activity

        report = activity_report(
            first_day=build.period_start, last_day=build.period_end, branch_ids=branch_ids,
            staff_id=build.staff_only_id, now=cut_off,
        )  # fmt: skip
        path = _private_path(build)
        write_activity(report, path, title=ReportKind(build.kind).label, scope=scope)
        _finish(build, path=path, progress=f"已完成，共 {len(report.rows)} 人")
    else:
        raise ValueError(f"unknown report kind {build.kind}")
