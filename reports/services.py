"""Writes of the reports app: build a workbook, store it (replacing the month's previous file), notify.

Files are written to a temporary name and moved into place, so a download never sees half a workbook, and the
ReportFile row is replaced in the same transaction that points at the new file.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from datetime import date, datetime
from pathlib import Path

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from policies.models import Branch
from renewal_desk.roles import Role
from reports.models import ReportFile, ReportKind, ReportNotice
from reports.periods import format_cut_off

logger = logging.getLogger(__name__)


def reports_dir() -> Path:
    path = Path(settings.REPORTS_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def temporary_path(suffix: str = ".xlsx") -> Path:
    handle, name = tempfile.mkstemp(suffix=suffix, dir=reports_dir(), prefix=".building-")
    os.close(handle)
    return Path(name)


def stored_name(*, kind: str, month: date, branch: Branch | None) -> str:
    scope = branch.code if branch is not None else "division"
    return f"{month:%Y-%m}/{kind}-{scope}.xlsx"


@transaction.atomic
def store_report_file(*, kind: str, month: date, branch: Branch | None, cut_off: datetime, built: Path) -> ReportFile:
    """Move a built workbook into place and record it, replacing the same kind, branch and month."""
    relative = stored_name(kind=kind, month=month, branch=branch)
    target = reports_dir() / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    digest, size = sha256_of(built), built.stat().st_size
    os.replace(built, target)
    report_file, _ = ReportFile.objects.select_for_update().update_or_create(
        kind=kind,
        branch=branch,
        month=month,
        defaults={"cut_off": cut_off, "path": relative, "sha256": digest, "size": size},
    )
    return report_file


def build_battle_file(*, month: date, branch: Branch | None, cut_off: datetime) -> ReportFile:
    """Build and store one 战报表: a branch's, or with branch=None the division's (every branch + total)."""
    from reports.workbooks.battle import battle_report_data, write_battle_report

    data = battle_report_data(month=month, cut_off=cut_off, branch_ids=None if branch is None else [branch.pk])
    built = temporary_path()
    try:
        write_battle_report(data, built)
        return store_report_file(kind=ReportKind.BATTLE, month=month, branch=branch, cut_off=cut_off, built=built)
    finally:
        built.unlink(missing_ok=True)


def build_register_file(
    *, month: date, branch_ids: list[int], scope: str, cut_off: datetime, full_phones: bool, path: Path, progress=None
) -> int:
    from reports.selectors.listings import register_records, staff_names
    from reports.workbooks.listings import write_register

    records = register_records(month=month, cut_off=cut_off, branch_ids=branch_ids)
    return write_register(
        records, path, month=month, cut_off=cut_off, scope=scope, names=staff_names(), full_phones=full_phones,
        progress=progress,
    )  # fmt: skip


def build_board_file(*, month: date, branch_ids: list[int], scope: str, cut_off: datetime, path: Path, progress=None):
    from reports.selectors.listings import board_records, staff_names
    from reports.workbooks.listings import write_board

    records = board_records(month=month, cut_off=cut_off, branch_ids=branch_ids)
    return write_board(records, path, month=month, cut_off=cut_off, scope=scope, names=staff_names(), progress=progress)


def notify_division(*, month: date, cut_off: datetime) -> int:
    """Email every division user who has an address, and leave each an in-app notice. Returns the recipients."""
    from django.contrib.auth import get_user_model

    users = list(get_user_model().objects.filter(groups__name=Role.DIVISION, is_active=True).distinct())
    text = f"{month:%Y-%m} 战报表已生成（数据截至 {format_cut_off(cut_off)}），可在“报表”页下载各门店与事业部文件。"
    for user in users:
        ReportNotice.objects.update_or_create(
            recipient=user, month=month, defaults={"text": text, "read_at": None, "created_at": timezone.now()}
        )
    addresses = [user.email for user in users if user.email]
    if addresses:
        send_mail(f"【续保工作台】{month:%Y-%m} 战报表", text, settings.DEFAULT_FROM_EMAIL, addresses)
    logger.info("month-end reports %s: notified %d division users", f"{month:%Y-%m}", len(users))
    return len(users)
