"""Incentive records (DOMAIN.md §7, §8): rule versions, targets, satisfaction scores, special awards and payouts.

Rows hold their own invariants as database constraints (maker ≠ checker, one run per branch and month, exactly
one of staff/category on a target); cross-row rules live in incentives/services/. The rule engine itself is the
pure package incentives/rules/.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import F, Q

from policies.models import Branch, Staff

MONEY = {"max_digits": 12, "decimal_places": 2}


class ImmutableRecordError(Exception):
    """A write to a record that must never change again (a published or used rule version, a locked payout)."""


class RuleVersion(models.Model):
    """规则版本: every rate, floor and band of §7 as `incentives.rules.ruleset_to_dict` JSON.

    `branch` null = the division's version (floors and defaults for every branch without one of its own).
    """

    class State(models.TextChoices):
        DRAFT = "draft", "草稿"
        PENDING_REVIEW = "pending_review", "待复核"
        PUBLISHED = "published", "已发布"

    label = models.CharField("版本", max_length=20, unique=True)
    branch = models.ForeignKey(
        Branch, null=True, blank=True, on_delete=models.PROTECT, related_name="rule_versions", verbose_name="门店"
    )
    effective_from = models.DateField("生效日期")
    rules = models.JSONField("规则")
    note = models.CharField("修改说明", max_length=300, blank=True)
    state = models.CharField("状态", max_length=20, choices=State.choices, default=State.DRAFT)
    based_on = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField(null=True, blank=True)
    # Set (never cleared) when a locked payout used this version: from then on it is history.
    used = models.BooleanField("已用于发放", default=False)

    class Meta:
        ordering = ["-effective_from", "-pk"]
        verbose_name = verbose_name_plural = "规则版本"
        constraints = [
            models.CheckConstraint(
                condition=Q(published_by__isnull=True) | ~Q(published_by=F("created_by")),
                name="rule_version_publisher_is_not_creator",
            ),
            models.CheckConstraint(
                condition=~Q(state="published") | Q(published_at__isnull=False),
                name="rule_version_published_has_time",
            ),
            models.CheckConstraint(
                condition=Q(state__in=["draft", "pending_review", "published"]), name="rule_version_state_valid"
            ),
            models.UniqueConstraint(
                fields=["effective_from"],
                condition=Q(branch__isnull=True, state="published"),
                name="rule_version_one_division_version_per_date",
            ),
            models.UniqueConstraint(
                fields=["branch", "effective_from"],
                condition=Q(branch__isnull=False, state="published"),
                name="rule_version_one_branch_version_per_date",
            ),
        ]
        indexes = [models.Index(fields=["branch", "state", "effective_from"])]

    def __str__(self) -> str:
        return f"{self.label}（{self.scope_label}）"

    def save(self, *args, **kwargs):
        # A published or used version is history: its rules, scope and date never change (DOMAIN.md §7).
        if self.pk is not None:
            stored = (
                RuleVersion.objects.filter(pk=self.pk)
                .values("state", "used", "rules", "effective_from", "branch_id", "label")
                .first()
            )
            if stored and (stored["state"] == self.State.PUBLISHED or stored["used"]):
                frozen = ("rules", "effective_from", "branch_id", "label")
                if any(stored[name] != getattr(self, name) for name in frozen) or self.state != stored["state"]:
                    raise ImmutableRecordError(f"规则版本 {self.label} 已发布或已用于发放，不能修改。")
        super().save(*args, **kwargs)

    @property
    def scope_label(self) -> str:
        return "全部门店" if self.branch_id is None else str(self.branch)

    @property
    def is_locked(self) -> bool:
        return self.used or self.state == self.State.PUBLISHED


class Target(models.Model):
    """目标: a monthly target count per staff member, or per customer category (1–4) of a branch."""

    branch = models.ForeignKey(Branch, on_delete=models.CASCADE, related_name="targets", verbose_name="门店")
    month = models.DateField("月份", help_text="该月首日")
    staff = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.CASCADE, related_name="targets", verbose_name="员工"
    )
    category = models.PositiveSmallIntegerField("客户类别", null=True, blank=True)
    count = models.IntegerField("目标台数")
    updated_by = models.ForeignKey(Staff, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["branch", "month", "category", "staff"]
        verbose_name = verbose_name_plural = "目标"
        constraints = [
            models.UniqueConstraint(fields=["branch", "month", "staff"], name="target_unique_staff_month"),
            models.UniqueConstraint(fields=["branch", "month", "category"], name="target_unique_category_month"),
            models.CheckConstraint(
                condition=(Q(staff__isnull=False) & Q(category__isnull=True))
                | (Q(staff__isnull=True) & Q(category__isnull=False)),
                name="target_staff_xor_category",
            ),
            models.CheckConstraint(condition=Q(count__gte=0), name="target_count_non_negative"),
            models.CheckConstraint(
                condition=Q(category__isnull=True) | (Q(category__gte=1) & Q(category__lte=4)),
                name="target_category_1_to_4",
            ),
        ]

    def __str__(self) -> str:
        who = f"类别 {self.category}" if self.category else str(self.staff)
        return f"{self.month:%Y-%m} {who} 目标 {self.count}"


class TeamSatisfaction(models.Model):
    """满意度: a team's monthly satisfaction score and its target (for the team leader's PENALTY)."""

    branch = models.ForeignKey(Branch, on_delete=models.CASCADE, related_name="satisfaction", verbose_name="门店")
    team = models.CharField("团队", max_length=50)
    month = models.DateField("月份", help_text="该月首日")
    score = models.DecimalField("得分", max_digits=6, decimal_places=2)
    target = models.DecimalField("目标", max_digits=6, decimal_places=2)
    updated_by = models.ForeignKey(Staff, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["branch", "month", "team"]
        verbose_name = verbose_name_plural = "团队满意度"
        constraints = [
            models.UniqueConstraint(fields=["branch", "team", "month"], name="satisfaction_unique_team_month"),
            models.CheckConstraint(condition=Q(score__gte=0) & Q(target__gte=0), name="satisfaction_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.team} {self.month:%Y-%m} {self.score}/{self.target}"


class SpecialAward(models.Model):
    """专项奖励 entered by a manager, within the ranges of the rule version in force (checked by the service)."""

    class Kind(models.TextChoices):
        COMPLEX_CASE = "complex_case", "复杂案件"
        WIN_BACK = "win_back", "挽回客户"
        SHARED_CASE = "shared_case", "共享案件"

    staff = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="special_awards", verbose_name="员工")
    month = models.DateField("月份", help_text="该月首日")
    kind = models.CharField("类型", max_length=20, choices=Kind.choices)
    amount = models.DecimalField("金额", **MONEY)
    note = models.CharField("说明", max_length=300, blank=True)
    entered_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+", verbose_name="录入人")
    entered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["month", "staff__employee_no", "pk"]
        verbose_name = verbose_name_plural = "专项奖励"
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="special_award_amount_positive"),
            models.CheckConstraint(
                condition=Q(kind__in=["complex_case", "win_back", "shared_case"]), name="special_award_kind_valid"
            ),
            models.CheckConstraint(condition=~Q(entered_by=F("staff")), name="special_award_not_for_oneself"),
        ]
        indexes = [models.Index(fields=["month", "staff"])]

    def __str__(self) -> str:
        return f"{self.staff} {self.month:%Y-%m} {self.get_kind_display()} {self.amount}"


class PayoutRun(models.Model):
    """One branch's payout for one month: draft → approved by finance (maker ≠ checker) → locked."""

    class State(models.TextChoices):
        DRAFT = "draft", "草稿"
        APPROVED = "approved", "已批准"
        LOCKED = "locked", "已锁定"

    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="payout_runs", verbose_name="门店")
    month = models.DateField("月份", help_text="该月首日（签单月）")
    state = models.CharField("状态", max_length=10, choices=State.choices, default=State.DRAFT)
    rule_version = models.ForeignKey(RuleVersion, on_delete=models.PROTECT, related_name="payout_runs")
    prepared_by = models.ForeignKey(Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    prepared_at = models.DateTimeField()
    approved_by = models.ForeignKey(Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    locked_by = models.ForeignKey(Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    locked_at = models.DateTimeField(null=True, blank=True)
    # Denormalised for the status strip and the 战报表's 提成 sheet (written with the lines, in one transaction).
    total = models.DecimalField("合计", default=Decimal("0.00"), **MONEY)
    line_count = models.PositiveIntegerField(default=0)
    store_count = models.PositiveIntegerField(default=0)
    telesales_count = models.PositiveIntegerField(default=0)
    ramp_note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-month", "branch__code"]
        verbose_name = verbose_name_plural = "发放批次"
        constraints = [
            models.UniqueConstraint(fields=["branch", "month"], name="payout_run_one_per_branch_month"),
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("prepared_by")),
                name="payout_run_approver_is_not_preparer",
            ),
            models.CheckConstraint(
                condition=Q(state="draft") | (Q(approved_by__isnull=False) & Q(approved_at__isnull=False)),
                name="payout_run_approved_before_locked",
            ),
            models.CheckConstraint(
                condition=~Q(state="locked") | Q(locked_at__isnull=False), name="payout_run_locked_has_time"
            ),
            models.CheckConstraint(
                condition=Q(state__in=["draft", "approved", "locked"]), name="payout_run_state_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.branch} {self.month:%Y-%m}"


class ExplanationField(models.JSONField):
    """A payout line's explanation: JSON, inserted as one parameter per row.

    Django's PostgreSQL bulk insert otherwise sends each column as one array (UNNEST), and psycopg escapes every
    double quote inside an array of JSON texts in Python — for a payout's lines (a few kB of explanation each)
    that took longer than the rest of the insert. A field with its own placeholder keeps the plain VALUES form.
    """

    def get_placeholder(self, value, compiler, connection) -> str:
        return "%s"


class PayoutLine(models.Model):
    """One row of the payout sheet (DOMAIN.md §8), frozen with its explanation.

    An adjustment line (`adjusts_month` set) books the change of a locked month in a later open month: its
    amounts are deltas against what was paid, and `adjustment_of` names the locked line when there was one.
    """

    run = models.ForeignKey(PayoutRun, on_delete=models.CASCADE, related_name="lines")
    staff = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="payout_lines")
    # Snapshot of the sheet's text columns: a locked sheet never changes, even if the person is renamed.
    employee_no = models.CharField("工号", max_length=20)
    name = models.CharField("姓名", max_length=50)
    branch_name = models.CharField("门店", max_length=100)
    roles = models.CharField("角色", max_length=200, blank=True)
    store_count = models.IntegerField("到店单数", default=0)
    telesales_count = models.IntegerField("电销单数", default=0)
    commission = models.DecimalField("提成", default=Decimal("0.00"), **MONEY)
    ramp = models.DecimalField("破冰奖励", default=Decimal("0.00"), **MONEY)
    bonus = models.DecimalField("系数奖金", default=Decimal("0.00"), **MONEY)
    salary = models.DecimalField("续保率奖金", default=Decimal("0.00"), **MONEY)
    team = models.DecimalField("团队奖励", default=Decimal("0.00"), **MONEY)
    rank = models.DecimalField("排名奖励", default=Decimal("0.00"), **MONEY)
    special = models.DecimalField("专项奖励", default=Decimal("0.00"), **MONEY)
    penalty = models.DecimalField("扣款", default=Decimal("0.00"), **MONEY)
    total = models.DecimalField("合计", default=Decimal("0.00"), **MONEY)
    rule_version_label = models.CharField("规则版本", max_length=20)
    explanation = ExplanationField(default=dict)
    adjusts_month = models.DateField("更正月份", null=True, blank=True)
    adjustment_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="adjustments"
    )
    note = models.CharField("备注", max_length=500, blank=True)

    class Meta:
        ordering = ["employee_no", "adjusts_month", "pk"]
        verbose_name = verbose_name_plural = "发放明细"
        constraints = [
            models.UniqueConstraint(
                fields=["run", "staff"], condition=Q(adjusts_month__isnull=True), name="payout_line_one_per_staff"
            ),
            models.UniqueConstraint(
                fields=["run", "staff", "adjusts_month"],
                condition=Q(adjusts_month__isnull=False),
                name="payout_line_one_adjustment_per_staff_month",
            ),
            models.CheckConstraint(
                condition=Q(adjustment_of__isnull=True) | Q(adjusts_month__isnull=False),
                name="payout_line_adjustment_names_its_month",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.employee_no} {self.name} {self.total}"

    def save(self, *args, **kwargs):
        if PayoutRun.objects.filter(pk=self.run_id, state=PayoutRun.State.LOCKED).exists():
            raise ImmutableRecordError("该月发放已锁定，明细不能修改。")
        super().save(*args, **kwargs)

    @property
    def is_adjustment(self) -> bool:
        return self.adjusts_month is not None
