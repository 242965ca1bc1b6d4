"""Uploaded imports (ImportBatch): created by the upload page, run by a Celery task, read by the batch page."""

from __future__ import annotations

import hashlib
import logging
import uuid

from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from policies.importer.report import FILE_SHEET
from policies.importer.scope import scope_for_user
from policies.importer.service import import_workbook
from policies.models import ImportBatch
from renewal_desk.access import has_role
from renewal_desk.roles import Role

logger = logging.getLogger(__name__)
State = ImportBatch.State
PROGRESS_WIDTH = ImportBatch._meta.get_field("progress").max_length


def create_import_batch(*, upload: UploadedFile, user, dry_run: bool) -> ImportBatch:
    """Store an upload (already checked by policies.importer.safety) and queue its import."""
    from policies.tasks import import_workbook_task

    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    batch = ImportBatch(original_name=upload.name[:255], sha256=digest.hexdigest(), dry_run=dry_run, uploaded_by=user)
    batch.file.save(f"{uuid.uuid4().hex}.xlsx", upload, save=False)
    batch.save()
    import_workbook_task.delay_on_commit(batch.pk)
    return batch


def run_import_batch(*, batch_id: int) -> None:
    """Idempotent: a redelivered task finds the batch no longer queued and does nothing."""
    claimed = ImportBatch.objects.filter(pk=batch_id, state=State.QUEUED).update(
        state=State.RUNNING, progress="开始读取"
    )
    if not claimed:
        return
    batch = ImportBatch.objects.select_related("uploaded_by").get(pk=batch_id)

    def progress(text: str) -> None:
        ImportBatch.objects.filter(pk=batch_id).update(progress=text[:PROGRESS_WIDTH])

    try:
        try:
            scope = scope_for_user(batch.uploaded_by) if batch.uploaded_by else None
        except PermissionDenied:
            scope = None
        if scope is None:
            _finish(batch, State.REFUSED, errors=[_file_error("上传人已无导入权限，未导入。")])
            return
        with batch.file.open("rb") as handle:
            report = import_workbook(
                handle, name=batch.file.name, dry_run=batch.dry_run, scope=scope, progress=progress
            )
    except Exception:  # any crash must leave the batch in a final state the page can show
        logger.exception("import batch %s failed", batch_id)
        _finish(batch, State.FAILED, errors=[_file_error("导入时发生系统错误，未写入任何数据；请联系管理员。")])
        return
    state = State.REFUSED if report.errors else (State.CHECKED if batch.dry_run else State.DONE)
    _finish(
        batch,
        state,
        summary=report.summary(),
        errors=[issue.as_dict() for issue in report.errors],
        warnings=[issue.as_dict() for issue in report.warnings],
    )


def _file_error(message: str) -> dict:
    return {"sheet": FILE_SHEET, "row": None, "column": "", "message": message}


def _finish(batch: ImportBatch, state: str, *, summary=None, errors=None, warnings=None) -> None:
    # The workbook holds full phone and ID numbers, which we never keep (DOMAIN.md §3, §11): once read, it goes;
    # the name and sha256 stay to identify it.
    if batch.file:
        batch.file.delete(save=False)
    batch.state = state
    batch.progress = ""
    batch.summary = summary or {}
    batch.errors = errors or []
    batch.warnings = warnings or []
    batch.finished_at = timezone.now()
    batch.save(update_fields=["file", "state", "progress", "summary", "errors", "warnings", "finished_at"])


def batches_for_user(user) -> QuerySet[ImportBatch]:
    """Admins see every import; a lead sees the ones they uploaded."""
    batches = ImportBatch.objects.select_related("uploaded_by")
    if user.is_superuser or has_role(user, Role.ADMIN):
        return batches
    return batches.filter(uploaded_by=user)


def batch_for_user(user, batch_id: int) -> ImportBatch:
    """The batch, or 404 for 'not there' and 'not yours' alike."""
    batch = batches_for_user(user).filter(pk=batch_id).first()
    if batch is None:
        raise Http404("没有找到这次导入。")
    return batch
