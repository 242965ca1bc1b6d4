"""Payout runs (DOMAIN.md §7 "Payout run"): draft (recomputable) → approved by finance (maker ≠ checker) → locked.

A locked month never changes. When a later computation finds that the facts of a locked month have changed (a
policy cancelled, a late renewal), the difference is booked as adjustment lines in the next open month, each
referring to the locked line it corrects and computed with the locked month's own rule version — so a rule change
alone never produces an adjustment.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from incentives.errors import IncentiveError, MakerCheckerError, MissingTargets
from incentives.models import PayoutLine, PayoutRun, RuleVersion, Target
from incentives.rules import format_money, programme_month_number, ruleset_from_dict
from incentives.services.facts import gather_branch_month, gather_group_month, load_staff
from incentives.services.lines import COMPONENT_KEYS, ComputedLine, compute_lines
from incentives.services.versions import mark_version_used, rules_in_force
from policies.models import Branch, Staff
from renewal_desk.access import has_role
from renewal_desk.months import add_months, month_label, month_start
from renewal_desk.roles import Role

COLUMN_LABELS = {
    "store_count": "到店单数",
    "telesales_count": "电销单数",
    "commission": "提成",
    "ramp": "破冰奖励",
    "bonus": "系数奖金",
    "salary": "续保率奖金",
    "team": "团队奖励",
    "rank": "排名奖励",
    "special": "专项奖励",
    "penalty": "扣款",
}
AMOUNT_FIELDS = (*COMPONENT_KEYS, "total")
COUNT_FIELDS = ("store_count", "telesales_count")
# Locked months looked back at for late changes; older corrections are rare enough to book by hand.
ADJUSTMENT_LOOKBACK_MONTHS = 12
# Staff who must have a monthly target from the 4th programme month (§7 RAMP).
TARGET_ROLES = (Role.LEAD, Role.CALLBACK, Role.SELLER)
PREPARER_ROLES = (Role.FINANCE, Role.ADMIN, Role.MANAGER, Role.GM)


@dataclass(frozen=True)
class MonthComputation:
    """One branch-month computed in memory (a draft, a preview or an estimate): nothing written."""

    branch: Branch
    month: date
    version: RuleVersion
    lines: list[ComputedLine]
    renewals: dict[str, int]
    month_number: int | None


def compute_month(*, branch: Branch, month: date, version: RuleVersion | None = None, group=None) -> MonthComputation:
    """The month's lines under `version` (default: the rules in force on the month's first day)."""
    month = month_start(month)
    if version is None:
        rules, version = rules_in_force(branch=branch, on=month)
    else:
        rules = ruleset_from_dict(version.rules)
    facts = gather_branch_month(branch=branch, month=month, ramp_months=rules.ramp_months)
    group = group or gather_group_month(month=month)
    lines = compute_lines(facts, group, rules, label=version.label)
    return MonthComputation(branch, month, version, lines, dict(facts.branch_renewals), facts.month_number)


def missing_targets(*, branch: Branch, month: date) -> list[str]:
    """'CD0101 陈志强' for every active lead, callback and seller of the branch without a target that month."""
    has_target = Target.objects.filter(branch=branch, month=month_start(month), staff=OuterRef("pk"))
    people = (
        Staff.objects.filter(branch=branch, active=True, user__groups__name__in=TARGET_ROLES)
        .exclude(Exists(has_target))
        .distinct()
        .order_by("employee_no")
    )
    return [f"{person.employee_no} {person.name}" for person in people]


@transaction.atomic
def compute_payout(*, branch: Branch, month: date, by: Staff | None, group=None) -> PayoutRun:
    """(Re)compute the month's draft. Refused when the month is locked, and from the 4th programme month when a
    lead, callback or seller lacks a target. Recomputing an approved run returns it to draft (approval withdrawn)."""
    month = month_start(month)
    if by is not None and not has_role(by.user, *PREPARER_ROLES):
        raise IncentiveError("您的角色不能计算发放（财务、管理员、保险经理或总经理可以）。")
    Branch.objects.select_for_update().filter(pk=branch.pk).first()  # one computation per branch at a time
    run = PayoutRun.objects.filter(branch=branch, month=month).first()
    if run is not None and run.state == PayoutRun.State.LOCKED:
        raise IncentiveError(
            f"{branch.name} {month_label(month)} 已锁定，不能重新计算；之后的更正记为下一个未锁定月份的调整行。"
        )
    number = programme_month_number(branch.programme_start, month)
    if number is None or number >= 4:
        missing = missing_targets(branch=branch, month=month)
        if missing:
            raise MissingTargets(
                f"{branch.name} {month_label(month)} 缺少月度目标，不能计算发放：{'、'.join(missing)}。"
                "请在“目标”页面或导入目标 sheet 补齐。",
                missing,
            )
    result = compute_month(branch=branch, month=month, group=group)
    adjustments = _adjustments(branch=branch, month=month)
    now = timezone.now()
    if run is None:
        run = PayoutRun(branch=branch, month=month)
    else:
        # A draft's lines are never referenced (adjustments refer to locked lines only): delete them in one
        # statement, without loading their explanations (the database still enforces the PROTECT foreign key).
        PayoutLine.objects.filter(run=run)._raw_delete(run._state.db)
    run.state = PayoutRun.State.DRAFT
    run.rule_version = result.version
    run.prepared_by, run.prepared_at = by, now
    run.approved_by = run.approved_at = None
    run.store_count = result.renewals.get("store", 0)
    run.telesales_count = result.renewals.get("telesales", 0)
    run.ramp_note = _ramp_note(result)
    run.save()
    rows = [_line_row(run, item, month) for item in result.lines]
    for row in adjustments:
        row.run = run
    PayoutLine.objects.bulk_create([*rows, *adjustments])
    run.line_count = len(rows) + len(adjustments)
    run.total = sum((row.total for row in [*rows, *adjustments]), Decimal("0.00"))
    run.save(update_fields=["line_count", "total"])
    return run


def compute_all_payouts(*, month: date, by: Staff | None) -> dict[str, PayoutRun | IncentiveError]:
    """Every branch's draft for the month, the group-wide facts (the ranking across all branches) gathered once
    instead of once per branch. Each branch is its own transaction; a refusal is returned, not raised."""
    month = month_start(month)
    group = gather_group_month(month=month)
    outcome: dict[str, PayoutRun | IncentiveError] = {}
    for branch in Branch.objects.order_by("code"):
        try:
            outcome[branch.code] = compute_payout(branch=branch, month=month, by=by, group=group)
        except IncentiveError as refusal:
            outcome[branch.code] = refusal
    return outcome


@transaction.atomic
def approve_payout(*, run: PayoutRun, by: Staff) -> PayoutRun:
    run = PayoutRun.objects.select_for_update().get(pk=run.pk)
    if not has_role(by.user, Role.FINANCE):
        raise IncentiveError("只有财务可以批准发放。")
    if run.state != PayoutRun.State.DRAFT:
        raise IncentiveError(f"该批次当前为“{run.get_state_display()}”，只有草稿可以批准。")
    if run.prepared_by_id == by.pk:
        raise MakerCheckerError("制单 ≠ 审核：这次计算由您完成，须由另一位财务批准。")
    run.state = PayoutRun.State.APPROVED
    run.approved_by, run.approved_at = by, timezone.now()
    run.save(update_fields=["state", "approved_by", "approved_at"])
    return run


@transaction.atomic
def lock_payout(*, run: PayoutRun, by: Staff) -> PayoutRun:
    run = PayoutRun.objects.select_for_update().get(pk=run.pk)
    if not has_role(by.user, Role.FINANCE):
        raise IncentiveError("只有财务可以锁定发放。")
    if run.state != PayoutRun.State.APPROVED:
        raise IncentiveError("只有已批准的批次可以锁定。")
    run.state = PayoutRun.State.LOCKED
    run.locked_by, run.locked_at = by, timezone.now()
    run.save(update_fields=["state", "locked_by", "locked_at"])
    versions = {run.rule_version_id} | set(
        RuleVersion.objects.filter(label__in=run.lines.values("rule_version_label")).values_list("pk", flat=True)
    )
    for version_id in versions:
        mark_version_used(version_id)
    return run


def _line_row(run: PayoutRun, item: ComputedLine, month: date) -> PayoutLine:
    return PayoutLine(
        run=run,
        staff_id=item.staff.pk,
        employee_no=item.staff.employee_no,
        name=item.staff.name,
        branch_name=item.staff.branch_name,
        roles=item.staff.roles_text,
        store_count=item.store_count,
        telesales_count=item.telesales_count,
        **item.amounts(),
        rule_version_label=item.line.rule_version or "",
        explanation=item.explanation(month=month),
    )


def _ramp_note(result: MonthComputation) -> str:
    rules = ruleset_from_dict(result.version.rules)
    number = result.month_number
    if number is None:
        return "无续保启动日期：破冰期已过"
    if 1 <= number <= rules.ramp_months:
        return f"破冰期第 {number} 月 · 本月无需目标"
    return f"启动第 {number} 月"


def _adjustments(*, branch: Branch, month: date) -> list[PayoutLine]:
    """Deltas of every locked month whose next open month is `month`, as unsaved adjustment lines."""
    earliest = add_months(month, -ADJUSTMENT_LOOKBACK_MONTHS)
    locked = list(
        PayoutRun.objects.filter(branch=branch, state=PayoutRun.State.LOCKED, month__gte=earliest, month__lt=month)
        .select_related("rule_version")
        .order_by("month")
    )
    locked_months = {run.month for run in locked}
    rows: list[PayoutLine] = []
    for locked_run in locked:
        between = []
        cursor = add_months(locked_run.month, 1)
        while cursor < month:
            between.append(cursor)
            cursor = add_months(cursor, 1)
        if any(item not in locked_months for item in between):
            continue  # an earlier open month is the one that books this month's corrections
        rows.extend(_adjustments_for(locked_run, branch=branch, month=month))
    return rows


def _adjustments_for(locked_run: PayoutRun, *, branch: Branch, month: date) -> list[PayoutLine]:
    now = compute_month(branch=branch, month=locked_run.month, version=locked_run.rule_version)
    current = {item.staff.pk: item for item in now.lines}
    paid: dict[int, dict[str, Decimal | int]] = defaultdict(_zero_values)
    originals: dict[int, PayoutLine] = {}
    booked = PayoutLine.objects.filter(
        Q(run=locked_run, adjusts_month__isnull=True)
        | Q(run__branch=branch, run__state=PayoutRun.State.LOCKED, adjusts_month=locked_run.month)
    )
    for line in booked:
        if line.adjusts_month is None:
            originals[line.staff_id] = line
        for name in (*AMOUNT_FIELDS, *COUNT_FIELDS):
            paid[line.staff_id][name] += getattr(line, name)
    people = load_staff(set(current) | set(paid))
    rows = []
    label = month_label(locked_run.month)
    for pk in sorted(people, key=lambda key: people[key].employee_no):
        item = current.get(pk)
        now_values: dict[str, Decimal | int] = (
            {**item.amounts(), "store_count": item.store_count, "telesales_count": item.telesales_count}
            if item
            else _zero_values()
        )
        before = paid.get(pk) or _zero_values()
        deltas = {name: now_values[name] - before[name] for name in (*AMOUNT_FIELDS, *COUNT_FIELDS)}
        if not any(deltas.values()):
            continue
        changes = [
            f"{COLUMN_LABELS[name]} {_show(before[name])} → {_show(now_values[name])}"
            for name in (*COUNT_FIELDS, *COMPONENT_KEYS)
            if deltas[name]
        ]
        info = people[pk]
        original = originals.get(pk)
        note = f"更正 {label}（已锁定）：{'；'.join(changes)}；合计 {format_money(deltas['total'])}"
        explanation = item.explanation(month=locked_run.month) if item else {"month": label, "components": {}}
        explanation["adjustment"] = {"month": label, "before": _json(before), "after": _json(now_values)}
        rows.append(
            PayoutLine(
                staff_id=pk,
                employee_no=info.employee_no,
                name=info.name,
                branch_name=info.branch_name,
                roles=info.roles_text,
                **{name: deltas[name] for name in (*AMOUNT_FIELDS, *COUNT_FIELDS)},
                rule_version_label=locked_run.rule_version.label,
                explanation=explanation,
                adjusts_month=locked_run.month,
                adjustment_of=original,
                note=note[:500],
            )
        )
    return rows


def _zero_values() -> dict[str, Decimal | int]:
    return {**dict.fromkeys(AMOUNT_FIELDS, Decimal("0.00")), **dict.fromkeys(COUNT_FIELDS, 0)}


def _show(value: Decimal | int) -> str:
    return format_money(value) if isinstance(value, Decimal) else str(value)


def _json(values: dict[str, Decimal | int]) -> dict[str, str | int]:
    return {name: (f"{value:.2f}" if isinstance(value, Decimal) else value) for name, value in values.items()}
