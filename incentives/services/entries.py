"""What managers and leads enter by hand: monthly targets (目标), team satisfaction (满意度), special awards."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import transaction

from incentives.errors import IncentiveError
from incentives.models import PayoutRun, SpecialAward, Target, TeamSatisfaction
from incentives.rules import special_award_check
from incentives.services.versions import rules_in_force
from policies.models import Branch, Staff
from renewal_desk.access import has_role
from renewal_desk.months import month_label, month_start
from renewal_desk.roles import Role

TARGET_EDITORS = (Role.MANAGER, Role.LEAD, Role.ADMIN)
AWARD_EDITORS = (Role.MANAGER, Role.DEPUTY_GM, Role.GM)
CATEGORIES = (1, 2, 3, 4)


@transaction.atomic
def set_targets(
    *,
    branch: Branch,
    month: date,
    by: Staff,
    staff_counts: dict[int, int | None],
    category_counts: dict[int, int | None],
) -> int:
    """Write the month's targets; None removes one. Returns the number of rows written or removed."""
    _require(by, TARGET_EDITORS, "只有续保负责人、保险经理或管理员可以编辑目标。")
    month = month_start(month)
    own = set(Staff.objects.filter(branch=branch, pk__in=staff_counts).values_list("pk", flat=True))
    if own != set(staff_counts):
        raise IncentiveError("目标只能设给本门店的员工。")
    if set(category_counts) - set(CATEGORIES):
        raise IncentiveError("客户类别只能是 1–4。")
    changed = 0
    for count, lookup in [
        *((count, {"staff_id": pk}) for pk, count in staff_counts.items()),
        *((count, {"category": category}) for category, count in category_counts.items()),
    ]:
        if count is None:
            changed += Target.objects.filter(branch=branch, month=month, **lookup).delete()[0]
            continue
        if count < 0:
            raise IncentiveError("目标台数不能为负数。")
        Target.objects.update_or_create(
            branch=branch, month=month, **lookup, defaults={"count": count, "updated_by": by}
        )
        changed += 1
    return changed


@transaction.atomic
def set_team_satisfaction(
    *, branch: Branch, month: date, by: Staff, scores: dict[str, tuple[Decimal, Decimal] | None]
) -> int:
    _require(by, AWARD_EDITORS, "只有保险经理、副总经理或总经理可以录入满意度。")
    month = month_start(month)
    _refuse_locked(branch, month)
    written = 0
    for team, pair in scores.items():
        if pair is None:
            written += TeamSatisfaction.objects.filter(branch=branch, month=month, team=team).delete()[0]
            continue
        score, target = pair
        if score < 0 or target < 0:
            raise IncentiveError(f"{team}：满意度得分和目标不能为负数。")
        TeamSatisfaction.objects.update_or_create(
            branch=branch, month=month, team=team, defaults={"score": score, "target": target, "updated_by": by}
        )
        written += 1
    return written


@transaction.atomic
def add_special_award(*, staff: Staff, month: date, kind: str, amount: Decimal, note: str, by: Staff) -> SpecialAward:
    """A manager's award within the range of the rule version in force that month (§7 SPECIAL)."""
    _require(by, AWARD_EDITORS, "只有保险经理、副总经理或总经理可以录入专项奖励。")
    if staff.pk == by.pk:
        raise IncentiveError("不能给自己录入专项奖励，请由另一位经理录入。")
    if staff.branch_id != by.branch_id and not has_role(by.user, Role.GM):
        raise IncentiveError("只能给本门店的员工录入专项奖励。")
    month = month_start(month)
    _refuse_locked(staff.branch, month)
    if kind not in SpecialAward.Kind.values:
        raise IncentiveError("请选择专项奖励的类型。")
    rules, _ = rules_in_force(branch=staff.branch, on=month)
    try:
        special_award_check(kind, amount, rules)
    except ValueError as error:
        raise IncentiveError(str(error)) from error
    return SpecialAward.objects.create(
        staff=staff, month=month, kind=kind, amount=amount, note=note.strip()[:300], entered_by=by
    )


@transaction.atomic
def delete_special_award(*, award: SpecialAward, by: Staff) -> None:
    _require(by, AWARD_EDITORS, "只有保险经理、副总经理或总经理可以删除专项奖励。")
    _refuse_locked(award.staff.branch, award.month)
    award.delete()


def parse_amount(text: str, *, what: str = "金额") -> Decimal:
    try:
        value = Decimal(text.strip().replace(",", ""))
    except (InvalidOperation, AttributeError) as error:
        raise IncentiveError(f"{what}“{text}”不是有效数字。") from error
    if not value.is_finite():
        raise IncentiveError(f"{what}“{text}”不是有效数字。")
    return value


def _refuse_locked(branch: Branch, month: date) -> None:
    if PayoutRun.objects.filter(branch=branch, month=month, state=PayoutRun.State.LOCKED).exists():
        raise IncentiveError(f"{branch.name} {month_label(month)} 的发放已锁定，不能再修改该月数据。")


def _require(by: Staff, roles, message: str) -> None:
    if not has_role(by.user, *roles):
        raise IncentiveError(message)
