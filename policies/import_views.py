"""Workbook upload pages (admins and leads): upload → background import → batch page with progress and results."""

from __future__ import annotations

from io import BytesIO

from django import forms
from django.conf import settings
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from policies.importer import UnsafeWorkbook, check_workbook_file, scope_for_user
from policies.importer.batches import batch_for_user, batches_for_user, create_import_batch
from policies.importer.template import build_template
from policies.models import ImportBatch
from renewal_desk.access import require_role
from renewal_desk.roles import Role

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ERRORS_PER_PAGE = 200
WARNINGS_SHOWN = 500
RUNNING = {ImportBatch.State.QUEUED, ImportBatch.State.RUNNING}


class WorkbookUploadForm(forms.Form):
    file = forms.FileField(label="工作簿（.xlsx）", widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}))
    dry_run = forms.BooleanField(label="只校验，不写入", required=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            check_workbook_file(upload, name=upload.name, size=upload.size)
        except UnsafeWorkbook as refused:
            raise forms.ValidationError(refused.message) from None
        return upload


@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    require_role(request.user, Role.ADMIN, Role.LEAD)
    scope = scope_for_user(request.user)
    form = WorkbookUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        batch = create_import_batch(
            upload=form.cleaned_data["file"], user=request.user, dry_run=form.cleaned_data["dry_run"]
        )
        return redirect("policies:import_batch", batch_id=batch.pk)
    context = {
        "form": form,
        "scope": scope,
        "batches": batches_for_user(request.user)[:20],
        "max_upload_mb": settings.IMPORT_MAX_UPLOAD_BYTES // (1024 * 1024),
    }
    return render(request, "policies/import_upload.html", context, status=400 if form.errors else 200)


def import_template(request: HttpRequest) -> FileResponse:
    require_role(request.user, Role.ADMIN, Role.LEAD)
    return FileResponse(
        BytesIO(build_template()), as_attachment=True, filename="续保数据导入模板.xlsx", content_type=XLSX
    )


def import_batch(request: HttpRequest, batch_id: int) -> HttpResponse:
    require_role(request.user, Role.ADMIN, Role.LEAD)
    batch = batch_for_user(request.user, batch_id)
    context = {
        "batch": batch,
        "running": batch.state in RUNNING,
        "errors": Paginator(batch.errors, ERRORS_PER_PAGE).get_page(request.GET.get("page")),
        "counts": batch.summary.get("counts", {}),
        "warnings": batch.warnings[:WARNINGS_SHOWN],
        "warnings_shown": WARNINGS_SHOWN,
    }
    template = "policies/import_batch_status.html" if request.htmx else "policies/import_batch.html"
    return render(request, template, context)
