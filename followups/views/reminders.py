"""Customer reminders: the send log (phones masked) and the templates admins edit."""

from __future__ import annotations

from datetime import date

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from followups import selectors
from followups.forms import PLACEHOLDERS, ReminderTemplateForm
from followups.models import DispatchState, ReminderTemplate
from followups.views.common import query_without_page, render_toast, roles_required
from renewal_desk.access import roles_of
from renewal_desk.roles import Role

LOG_ROLES = (Role.SPECIALIST, Role.CALLBACK, Role.LEAD, Role.MANAGER, Role.DEPUTY_GM, Role.GM, Role.ADMIN)
PAGE_SIZE = 50
SAMPLE = {"name": "张先生", "plate": "京A·12345", "t_date": "2026-07-15"}


@require_GET
@roles_required(*LOG_ROLES)
def reminder_log(request: HttpRequest) -> HttpResponse:
    raw_day = request.GET.get("day", "")
    try:
        day = date.fromisoformat(raw_day) if raw_day else None
    except ValueError:
        day = None
    state = request.GET.get("state", "")
    state = state if state in DispatchState.values else None
    dispatches = selectors.reminder_log(user=request.user, day=day, state=state)
    page = Paginator(dispatches, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "page_query": query_without_page(request),
        "day": day,
        "state": state or "",
        "states": DispatchState.choices,
        "is_admin": Role.ADMIN in roles_of(request.user),
    }
    return render(request, "followups/reminder_log.html", context)


def preview(body: str) -> str:
    text = body
    for name, value in SAMPLE.items():
        text = text.replace("{" + name + "}", value)
    return text


def _templates_context(**extra) -> dict:
    templates = list(ReminderTemplate.objects.all())
    return {
        "items": [
            {
                "template": template,
                "form": ReminderTemplateForm(instance=template, prefix=f"t{template.pk}"),
                "preview": preview(template.body),
            }
            for template in templates
        ],
        "new_form": ReminderTemplateForm(prefix="new"),
        "placeholders": PLACEHOLDERS,
        "sample": SAMPLE,
        **extra,
    }


@require_http_methods(["GET", "POST"])
@roles_required(Role.ADMIN)
def reminder_templates(request: HttpRequest) -> HttpResponse:
    """The list, and (POST) a new template for another offset or channel."""
    if request.method == "GET":
        return render(request, "followups/reminder_templates.html", _templates_context())
    form = ReminderTemplateForm(request.POST, prefix="new")
    if not form.is_valid():
        context = _templates_context(new_form=form)
        return render_toast(
            request, "followups/_reminder_templates_list.html", context, "模板未保存：请按提示改正。", error=True
        )
    template = form.save()
    context = _templates_context()
    message = f"已新增 T−{template.offset_days} {template.get_channel_display()}提醒模板。"
    return render_toast(request, "followups/_reminder_templates_list.html", context, message)


@require_POST
@roles_required(Role.ADMIN)
def reminder_template_edit(request: HttpRequest, template_id: int) -> HttpResponse:
    template = get_object_or_404(ReminderTemplate, pk=template_id)
    form = ReminderTemplateForm(request.POST, instance=template, prefix=f"t{template.pk}")
    if not form.is_valid():
        item = {"template": template, "form": form, "preview": preview(template.body)}
        context = {"item": item, "placeholders": PLACEHOLDERS, "sample": SAMPLE}
        return render_toast(
            request, "followups/_reminder_template.html", context, "模板未保存：请按提示改正。", error=True
        )
    template = form.save()
    item = {
        "template": template,
        "form": ReminderTemplateForm(instance=template, prefix=f"t{template.pk}"),
        "preview": preview(template.body),
    }
    context = {"item": item, "placeholders": PLACEHOLDERS, "sample": SAMPLE, "saved": True}
    state = "启用" if template.active else "停用"
    message = f"已保存 T−{template.offset_days} {template.get_channel_display()}模板（{state}），下一次发送起生效。"
    return render_toast(request, "followups/_reminder_template.html", context, message)
