"""Payout runs (DOMAIN.md §7 "Payout run"): draft (recomputable) → approved by finance (maker ≠ checker) → locked.

A locked month never changes: its late corrections become adjustment lines of the next open month
(incentives/services/adjustments.py). One branch's run (`compute_payout`: the page, the `payout` command, the 1st's
task) and every branch's (`compute_all_payouts`) are the same computation, set-based for any number of branches.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from incentives.errors import IncentiveError, MakerCheckerError, MissingTargets
from incentives.models import PayoutLine, PayoutRun, RuleVersion, Target
from incentives.rules import programme_month_number
from incentives.services.adjustments import adjustment_lines, locked_runs_to_correct
from incentives.services.computation import MonthComputation, compute_months
from incentives.services.lines import ComputedLine
from incentives.services.versions import mark_version_used
from policies.models import Branch, Staff
from renewal_desk.access import has_role
from renewal_desk.months import month_label, month_start
from renewal_desk.roles import Role

# Staff who must have a monthly target from the 4th programme month (§7 RAMP).
TARGET_ROLES = (Role.LEAD, Role.CALLBACK, Role.SELLER)
PREPARER_ROLES = (Role.FINANCE, Role.ADMIN, Role.MANAGER, Role.GM)
# What differs from run to run when several are recomputed together (the rest is the same for all of them).
RUN_FIGURES = ("rule_version", "store_count", "telesales_count", "ramp_note", "line_count", "total")


def missing_targets(*, branch: Branch, month: date) -> list[str]:
    """'CD0101 陈志强' for every active lead, callback and seller of the branch without a target that month."""
    return _missing_targets(branch_ids=[branch.pk], month=month).get(branch.pk, [])


def _missing_targets(*, branch_ids: Sequence[int], month: date) -> dict[int, list[str]]:
    """Per branch id, in 工号 order: who lacks a target that month (branches where nobody does are left out)."""
    if not branch_ids:
        return {}
    has_target = Target.objects.filter(branch_id=OuterRef("branch_id"), month=month_start(month), staff=OuterRef("pk"))
    people = (
        Staff.objects.filter(branch_id__in=branch_ids, active=True, user__groups__name__in=TARGET_ROLES)
        .exclude(Exists(has_target))
        .values_list("branch_id", "employee_no", "name")
        .distinct()
        .order_by("employee_no")
    )
    missing: dict[int, list[str]] = defaultdict(list)
    for branch_id, employee_no, name in people:
        missing[branch_id].append(f"{employee_no} {name}")
    return missing


@transaction.atomic
def compute_payout(*, branch: Branch, month: date, by: Staff | None) -> PayoutRun:
    """(Re)compute the month's draft. Refused when the month is locked, and from the 4th programme month when a
    lead, callback or seller lacks a target. Recomputing an approved run returns it to draft (approval withdrawn)."""
    outcome = _compute_runs(branches=[branch], month=month, by=by)[branch.pk]
    if isinstance(outcome, IncentiveError):
        raise outcome
    return outcome


@transaction.atomic
def compute_all_payouts(*, month: date, by: Staff | None) -> dict[str, PayoutRun | IncentiveError]:
    """Every branch's draft for the month (by branch code), computed together in one transaction: each query runs
    once for all branches, so their number does not grow with the branches. A branch's refusal (as `compute_payout`
    would raise it) is returned, not raised, and the other branches' drafts are written all the same."""
    branches = list(Branch.objects.order_by("code"))
    outcome = _compute_runs(branches=branches, month=month, by=by)
    return {branch.code: outcome[branch.pk] for branch in branches}


def _compute_runs(
    *, branches: Sequence[Branch], month: date, by: Staff | None
) -> dict[int, PayoutRun | IncentiveError]:
    """The drafts of `branches` for the month, by branch id, or each branch's refusal. Runs inside the caller's
    transaction: the branches stay locked until it ends (one computation per branch at a time)."""
    month = month_start(month)
    if by is not None and not has_role(by.user, *PREPARER_ROLES):
        refusal = IncentiveError("您的角色不能计算发放（财务、管理员、保险经理或总经理可以）。")
        return dict.fromkeys((branch.pk for branch in branches), refusal)
    ids = [branch.pk for branch in branches]
    # One computation per branch at a time; the locks are taken in one order, so two computations never deadlock.
    list(Branch.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))
    runs = {run.branch_id: run for run in PayoutRun.objects.filter(branch_id__in=ids, month=month)}
    outcome: dict[int, PayoutRun | IncentiveError] = dict(_refusals(branches, runs=runs, month=month))
    computing = [branch for branch in branches if branch.pk not in outcome]
    # The locked months this month corrects are recomputed together with it, under their own rule versions.
    locked_runs = locked_runs_to_correct(branches=computing, month=month)
    by_id = {branch.pk: branch for branch in computing}
    results = compute_months(
        [(branch, month, None) for branch in computing]
        + [(by_id[run.branch_id], run.month, run.rule_version) for run in locked_runs]
    )
    adjustments = adjustment_lines(locked_runs, results)
    now = timezone.now()
    written: list[tuple[PayoutRun, list[PayoutLine]]] = []
    for branch in computing:
        result, corrections = results[(branch.pk, month)], adjustments.get(branch.pk, [])
        if isinstance(result, IncentiveError) or isinstance(corrections, IncentiveError):
            outcome[branch.pk] = result if isinstance(result, IncentiveError) else corrections
            continue
        run = runs.get(branch.pk) or PayoutRun(branch=branch, month=month)
        written.append((run, _draft(run, result, corrections, by=by, at=now)))
        outcome[branch.pk] = run
    _write_runs(written, by=by, at=now)
    return outcome


def _refusals(branches: Sequence[Branch], *, runs: dict[int, PayoutRun], month: date) -> dict[int, IncentiveError]:
    """Branches that cannot be computed: a locked month, or from the 4th programme month people without a target."""
    refused: dict[int, IncentiveError] = {}
    for branch in branches:
        run = runs.get(branch.pk)
        if run is not None and run.state == PayoutRun.State.LOCKED:
            refused[branch.pk] = IncentiveError(
                f"{branch.name} {month_label(month)} 已锁定，不能重新计算；之后的更正记为下一个未锁定月份的调整行。"
            )
    missing = _missing_targets(
        branch_ids=[branch.pk for branch in branches if branch.pk not in refused and _needs_targets(branch, month)],
        month=month,
    )
    for branch in branches:
        if branch.pk in missing:
            refused[branch.pk] = MissingTargets(
                f"{branch.name} {month_label(month)} 缺少月度目标，不能计算发放：{'、'.join(missing[branch.pk])}。"
                "请在“目标”页面或导入目标 sheet 补齐。",
                missing[branch.pk],
            )
    return refused


def _needs_targets(branch: Branch, month: date) -> bool:
    """From the 4th programme month (and without a 续保启动日期) every lead, callback and seller needs a target."""
    number = programme_month_number(branch.programme_start, month)
    return number is None or number >= 4


def _draft(
    run: PayoutRun, result: MonthComputation, corrections: list[PayoutLine], *, by: Staff | None, at: datetime
) -> list[PayoutLine]:
    """Set the run to the recomputed draft (approval withdrawn) and return its unsaved lines, corrections last."""
    rows = [_line_row(run, item, result.month) for item in result.lines]
    for row in corrections:
        row.run = run
    rows.extend(corrections)
    run.state = PayoutRun.State.DRAFT
    run.rule_version = result.version
    run.prepared_by, run.prepared_at = by, at
    run.approved_by = run.approved_at = None
    run.store_count = result.renewals.get("store", 0)
    run.telesales_count = result.renewals.get("telesales", 0)
    run.ramp_note = _ramp_note(result)
    run.line_count = len(rows)
    run.total = sum((row.total for row in rows), Decimal("0.00"))
    return rows


def _write_runs(written: list[tuple[PayoutRun, list[PayoutLine]]], *, by: Staff | None, at: datetime) -> None:
    """A handful of statements for any number of runs: the previous drafts' lines deleted, the runs inserted or
    updated, every new line inserted."""
    recomputed = [run for run, _ in written if run.pk is not None]
    if recomputed:
        # A draft's lines are never referenced (adjustments refer to locked lines only): delete them in one
        # statement, without loading their explanations (the database still enforces the PROTECT foreign key).
        stale = PayoutLine.objects.filter(run__in=recomputed)
        stale._raw_delete(stale.db)
        # Back to draft, approval withdrawn: one plain UPDATE for all; Django's bulk_update (a CASE per field and
        # run, slow to build) only for the figures that differ.
        PayoutRun.objects.filter(pk__in=[run.pk for run in recomputed]).update(
            state=PayoutRun.State.DRAFT, prepared_by=by, prepared_at=at, approved_by=None, approved_at=None
        )
        PayoutRun.objects.bulk_update(recomputed, RUN_FIGURES)
    PayoutRun.objects.bulk_create([run for run, _ in written if run.pk is None])
    PayoutLine.objects.bulk_create([row for _, rows in written for row in rows])


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
    number = result.month_number
    if number is None:
        return "无续保启动日期：破冰期已过"
    if 1 <= number <= result.rules.ramp_months:
        return f"破冰期第 {number} 月 · 本月无需目标"
    return f"启动第 {number} 月"
