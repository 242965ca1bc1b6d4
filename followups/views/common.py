"""What every desk view shares: who is asking, which roles may open a page, and the toast that confirms an action."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render

from policies.models import Staff
from renewal_desk.access import roles_of, staff_of


def desk_staff(request: HttpRequest) -> Staff:
    """The staff row of the login; a login without one (a bare superuser) cannot work the desk."""
    staff = staff_of(request.user)
    if staff is None:
        raise PermissionDenied("您的账号没有对应的员工档案，不能使用续保工作台。")
    return staff


def roles_required(*roles: str) -> Callable:
    """403 unless the login holds one of `roles` (and has a staff row)."""

    def decorator(view):
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs):
            if not roles_of(request.user) & set(roles):
                raise PermissionDenied("您的角色无权打开这个页面。")
            desk_staff(request)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def with_toast(response: HttpResponse, message: str, *, error: bool = False) -> HttpResponse:
    """Confirm what an action did (static/js/app.js shows it). JSON escapes non-ASCII, as headers must be."""
    response["HX-Trigger"] = json.dumps({"showErrorToast" if error else "showToast": message})
    return response


def render_toast(request: HttpRequest, template: str, context: dict, message: str, *, error: bool = False):
    return with_toast(render(request, template, context), message, error=error)


def query_without_page(request: HttpRequest) -> str:
    """The current query string minus `page`, ready to prefix `page=N` (for the pager links)."""
    params: QueryDict = request.GET.copy()
    params.pop("page", None)
    encoded = params.urlencode()
    return f"{encoded}&" if encoded else ""
