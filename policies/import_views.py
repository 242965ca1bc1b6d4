"""Workbook upload pages (admins and leads). Filled in by the importer work."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from renewal_desk.access import require_role
from renewal_desk.roles import Role


def import_upload(request: HttpRequest) -> HttpResponse:
    require_role(request.user, Role.ADMIN, Role.LEAD)
    return render(request, "policies/import_upload.html", {})


def import_template(request: HttpRequest) -> HttpResponse:
    require_role(request.user, Role.ADMIN, Role.LEAD)
    return HttpResponse(status=404)


def import_batch(request: HttpRequest, batch_id: int) -> HttpResponse:
    require_role(request.user, Role.ADMIN, Role.LEAD)
    return HttpResponse(status=404)
