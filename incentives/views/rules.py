"""规则版本 (ui/4-rules.png): version list, the editor with band validation and chart, the preview, review."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from incentives.access import RULE_EDITORS, acting_staff, version_for_admin
from incentives.charts import band_chart
from incentives.errors import FloorViolation, IncentiveError
from incentives.forms import (
    BAND_LABELS,
    BAND_TAB,
    BAND_VARIABLES,
    TABS,
    EditorForm,
    form_from_post,
    form_from_rules,
    mark_changes,
)
from incentives.models import RuleVersion
from incentives.rules import LINEAR, STEP, Band, ruleset_from_dict
from incentives.selectors import versions_for_list
from incentives.services import (
    check_rules,
    create_draft_version,
    preview_version,
    publish_version,
    rules_in_force,
    submit_for_review,
    update_draft_version,
)
from incentives.views.common import month_param, with_toast
from policies.models import Branch
from renewal_desk.access import require_role
from renewal_desk.months import month_label


@require_GET
def rules(request: HttpRequest) -> HttpResponse:
    require_role(request.user, *RULE_EDITORS)
    versions = list(versions_for_list())
    selected = None
    if request.GET.get("v"):
        selected = version_for_admin(request.user, _int(request.GET["v"]))
    else:
        selected = (
            next((v for v in versions if not v.is_locked), None)
            or rules_in_force(branch=None, on=timezone.localdate())[1]
        )
    context = _editor_context(request, selected, form_from_rules(ruleset_from_dict(selected.rules)))
    division_rules, division_version = rules_in_force(branch=None, on=timezone.localdate())
    context.update(
        versions=versions,
        division_version=division_version,
        floors=division_rules.commission_floors,
        telesales_factor=division_rules.telesales_factor,
        branches=Branch.objects.order_by("code"),
        today=timezone.localdate(),
    )
    return render(request, "incentives/rules_page.html", context)


@require_POST
def rules_new(request: HttpRequest) -> HttpResponse:
    require_role(request.user, *RULE_EDITORS)
    by = acting_staff(request.user)
    try:
        effective = date.fromisoformat(request.POST.get("effective_from", ""))
    except ValueError:
        messages.error(request, "请填写生效日期（YYYY-MM-DD）。")
        return redirect("incentives:rules")
    code = request.POST.get("branch", "")
    branch = Branch.objects.filter(code=code).first() if code else None
    based_on = None
    if request.POST.get("based_on"):
        based_on = version_for_admin(request.user, _int(request.POST["based_on"]))
    version = create_draft_version(
        by=by, effective_from=effective, branch=branch, based_on=based_on, note=request.POST.get("note", "")
    )
    messages.success(request, f"已新建 {version.label} 草稿（基于 {version.based_on.label}）。")
    return redirect(f"{reverse('incentives:rules')}?v={version.pk}")


@require_POST
def rules_save(request: HttpRequest, version_id: int) -> HttpResponse:
    version = version_for_admin(request.user, version_id)
    by = acting_staff(request.user)
    form = form_from_post(request.POST)
    if form.rules is not None:
        form.rules = _apply_band_action(form, request.POST)
    effective = _date(request.POST.get("effective_from")) or version.effective_from
    note = request.POST.get("note")
    if form.rules is None:
        return with_toast(_render_editor(request, version, form), "未保存：有无法识别的数值，请按提示修改。")
    try:
        update_draft_version(version=version, by=by, rules=form.rules, effective_from=effective, note=note)
    except FloorViolation as error:
        form.errors.extend(f"已拒绝：{message}" for message in error.messages)
        return with_toast(_render_editor(request, version, form), "未保存：低于事业部底线。")
    except IncentiveError as error:
        form.errors.append(error.message)
        return with_toast(_render_editor(request, version, form), error.message)
    version.refresh_from_db()
    saved = form_from_rules(form.rules)
    return with_toast(
        _render_editor(request, version, saved),
        f"已保存 {version.label} 草稿 {timezone.localtime():%H:%M}",
        previewChanged=True,
    )


@require_GET
def rules_preview(request: HttpRequest, version_id: int) -> HttpResponse:
    version = version_for_admin(request.user, version_id)
    month = month_param(request.GET.get("month"))
    preview = preview_version(version=version, month=month)
    return render(request, "incentives/_rules_preview.html", {"preview": preview, "version": version})


@require_POST
def rules_submit(request: HttpRequest, version_id: int) -> HttpResponse:
    return _transition(request, version_id, submit_for_review, "已提交复核：请另一位管理员发布 {label}。")


@require_POST
def rules_publish(request: HttpRequest, version_id: int) -> HttpResponse:
    return _transition(request, version_id, publish_version, "已发布 {label}，自 {date} 起生效。")


def _transition(request, version_id, service, success: str) -> HttpResponse:
    version = version_for_admin(request.user, version_id)
    try:
        version = service(version=version, by=acting_staff(request.user))
        messages.success(request, success.format(label=version.label, date=f"{version.effective_from:%Y-%m-%d}"))
    except IncentiveError as error:
        messages.error(request, error.message)
    return redirect(f"{reverse('incentives:rules')}?v={version.pk}")


def _apply_band_action(form: EditorForm, post):
    """'+ 添加档位', '×' and the one-click fix act on the parsed rules before saving."""
    rules = form.rules
    assert rules is not None
    if post.get("add_band") in BAND_LABELS:
        key = post["add_band"]
        bands = getattr(rules, key)
        last = bands[-1]
        start = last.upper if last.upper is not None else last.lower
        new = Band(lower=start, upper=None, lower_inclusive=False, mode=STEP, value_at_lower=last.value_at_lower)
        return replace(rules, **{key: (*bands, new)})
    if post.get("remove_band"):
        key, _, index = post["remove_band"].partition(":")
        bands = list(getattr(rules, key, ()))
        if key in BAND_LABELS and index.isdigit() and int(index) < len(bands) and len(bands) > 1:
            del bands[int(index)]
            return replace(rules, **{key: tuple(bands)})
    if post.get("fix"):
        key, _, index = post["fix"].partition(":")
        problems = check_rules(rules, branch=None, effective_from=timezone.localdate()).band_problems.get(key, [])
        if index.isdigit() and int(index) < len(problems) and problems[int(index)].fixed_bands:
            return replace(rules, **{key: problems[int(index)].fixed_bands})
    return rules


def _render_editor(request, version: RuleVersion, form: EditorForm) -> HttpResponse:
    return render(request, "incentives/_rules_editor.html", _editor_context(request, version, form))


def _editor_context(request, version: RuleVersion, form: EditorForm) -> dict:
    base_rules, base_version = rules_in_force(branch=version.branch, on=version.effective_from)
    if base_version.pk == version.pk and version.based_on_id:
        base_version = version.based_on
        base_rules = ruleset_from_dict(base_version.rules)
    mark_changes(form, base_rules)
    check = (
        check_rules(form.rules, branch=version.branch, effective_from=version.effective_from) if form.rules else None
    )
    me = acting_staff(request.user)
    band_sets = []
    for key, label in BAND_LABELS.items():
        problems = check.band_problems.get(key, []) if check else []
        broken = {index for problem in problems for index in problem.band_indices if problem.kind == "overlap"}
        rows = form.bands[key]
        for index, row in enumerate(rows):
            row["problem"] = index in broken
        rules_now = form.rules
        band_sets.append(
            {
                "key": key,
                "label": label,
                "tab": BAND_TAB[key],
                "variable": BAND_VARIABLES[key],
                "rows": rows,
                "problems": problems,
                "chart": band_chart(getattr(rules_now, key), getattr(base_rules, key)) if rules_now else None,
                "same_as_base": rules_now is not None and getattr(rules_now, key) == getattr(base_rules, key),
            }
        )
    tab_errors = {band["tab"] for band in band_sets if band["problems"]}
    editable = not version.is_locked and version.created_by_id in (None, me.pk)
    reasons = _publish_reasons(version, me, check)
    return {
        "version": version,
        "base_version": base_version,
        "form": form,
        "tabs": TABS,
        "tab_errors": tab_errors,
        "band_sets": band_sets,
        "check": check,
        "editable": editable,
        "can_submit": editable and version.state == RuleVersion.State.DRAFT and check is not None and check.ok,
        "publish_blockers": reasons,
        "linear": LINEAR,
        "step": STEP,
        "preview_month": month_label(month_param(request.GET.get("month"))),
        "active_tab": request.POST.get("_tab") or request.GET.get("tab") or "bonus",
    }


def _publish_reasons(version: RuleVersion, me, check) -> list[str]:
    reasons = []
    if version.state == RuleVersion.State.PUBLISHED:
        return ["已发布"]
    if check is None or not check.ok:
        reasons.append("还有问题未解决")
    if version.state != RuleVersion.State.PENDING_REVIEW:
        reasons.append("需先提交复核")
    if version.created_by_id == me.pk:
        reasons.append("需另一位管理员发布")
    return reasons


def _int(text: str) -> int:
    try:
        return int(text)
    except (TypeError, ValueError):
        return 0


def _date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text or "")
    except ValueError:
        return None
