"""Follow-up cases (DOMAIN.md §4): one per vehicle and T-month, owned by one branch, worked by one assignee."""

from __future__ import annotations

from datetime import date

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from policies.models import Branch, Channel, Customer, RetainedCustomer, Staff, Vehicle, VehicleTerm


class CaseState(models.TextChoices):
    UNASSIGNED = "unassigned", "待分配"
    FOLLOWING = "following", "跟进中"
    QUOTED = "quoted", "已报价"
    LAPSED_FOLLOW = "lapsed_follow", "脱保跟进"
    RENEWED = "renewed", "已续回"
    LOST_PENDING = "lost_pending", "战败待审"
    LOST = "lost", "已战败"
    EXCLUSION_PENDING = "exclusion_pending", "不可续待审"
    EXCLUDED = "excluded", "已排除"


OPEN_STATES = frozenset({CaseState.UNASSIGNED, CaseState.FOLLOWING, CaseState.QUOTED, CaseState.LAPSED_FOLLOW})
REVIEW_STATES = frozenset({CaseState.LOST_PENDING, CaseState.EXCLUSION_PENDING})
CLOSED_STATES = frozenset({CaseState.RENEWED, CaseState.LOST, CaseState.EXCLUDED})


class FailureReason(models.TextChoices):
    PRICE = "PRICE", "价格高/优惠不足"
    INSURER_DIRECT = "INSURER_DIRECT", "保险公司电销直接续保"
    OTHER_CHANNEL = "OTHER_CHANNEL", "其他4S店/修理厂/代理人"
    NO_GUIDANCE = "NO_GUIDANCE", "无引导或引导不及时"
    UNREACHABLE = "UNREACHABLE", "联系不上"
    SERVICE = "SERVICE", "对服务或理赔不满"
    CORPORATE = "CORPORATE", "单位统一投保"
    NOT_DRIVING = "NOT_DRIVING", "停驶"
    VEHICLE_SOLD = "VEHICLE_SOLD", "转卖/过户*"
    VEHICLE_SCRAPPED = "VEHICLE_SCRAPPED", "报废/全损/被盗*"
    MOVED_AWAY = "MOVED_AWAY", "迁出本地*"
    OTHER = "OTHER", "其他"


# Reasons marked * in DOMAIN.md §4: once approved, the vehicle leaves 可续.
EXCLUSION_REASONS = frozenset({FailureReason.VEHICLE_SOLD, FailureReason.VEHICLE_SCRAPPED, FailureReason.MOVED_AWAY})


class Case(models.Model):
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="cases")
    vehicle = models.ForeignKey(Vehicle, on_delete=models.PROTECT, related_name="cases")
    customer = models.ForeignKey(Customer, null=True, on_delete=models.SET_NULL, related_name="cases")
    # The expiring term when it was sold here (category 1), else the 保有客户 row the case came from.
    expiring_term = models.ForeignKey(
        VehicleTerm, null=True, blank=True, on_delete=models.SET_NULL, related_name="expiring_cases"
    )
    retained = models.ForeignKey(
        RetainedCustomer, null=True, blank=True, on_delete=models.SET_NULL, related_name="cases"
    )
    t_date = models.DateField("到期日 T")
    t_month = models.DateField("T 所在月", help_text="首日；统计口径（队列）")
    category = models.PositiveSmallIntegerField("客户类别")
    previous_insurer = models.CharField("上年保险公司", max_length=100, blank=True)

    state = models.CharField("状态", max_length=20, choices=CaseState.choices, default=CaseState.UNASSIGNED)
    assignee = models.ForeignKey(Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="assigned_cases")
    handoff_due_on = models.DateField("移交截止")
    handoff_overdue = models.BooleanField("移交逾期", default=False)
    late_data = models.BooleanField("数据迟到", default=False)
    created_on = models.DateField("建案日期")
    created_at = models.DateTimeField(auto_now_add=True)
    escalated_on = models.DateField("升级日期", null=True, blank=True)

    # Denormalised for today's list (kept by the contact service in the same transaction).
    next_contact_at = models.DateTimeField("约定回电", null=True, blank=True)
    last_contact_at = models.DateTimeField(null=True, blank=True)
    last_contact_result = models.CharField(max_length=20, blank=True)
    checkpoint_45 = models.BooleanField(default=False)
    checkpoint_33 = models.BooleanField(default=False)
    checkpoint_30 = models.BooleanField(default=False)
    # The case's latest quote (kept by the quote service): today's list joins it instead of a subquery per row.
    last_quote = models.ForeignKey(
        "followups.Quote", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )

    # Outcome.
    renewal_term = models.ForeignKey(
        VehicleTerm, null=True, blank=True, on_delete=models.SET_NULL, related_name="renewing_cases"
    )
    renewal_channel = models.CharField(max_length=10, choices=Channel.choices, blank=True)
    reason = models.CharField("战败原因", max_length=20, choices=FailureReason.choices, blank=True)
    reason_text = models.CharField("原因说明", max_length=500, blank=True)
    proposed_by = models.ForeignKey(Staff, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reviewed_by = models.ForeignKey(Staff, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    removed_from_renewable = models.BooleanField("已移出可续", default=False)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "跟进案件"
        constraints = [
            models.UniqueConstraint(fields=["vehicle", "t_month"], name="case_one_per_vehicle_and_t_month"),
            models.CheckConstraint(condition=Q(category__gte=1) & Q(category__lte=4), name="case_category_1_to_4"),
            models.CheckConstraint(
                condition=Q(reviewed_by__isnull=True) | ~Q(reviewed_by=F("proposed_by")),
                name="case_reviewer_is_not_proposer",
            ),
            models.CheckConstraint(
                condition=~Q(reason="OTHER") | ~Q(reason_text=""), name="case_other_reason_needs_text"
            ),
        ]
        indexes = [
            models.Index(fields=["assignee", "state", "t_date"], name="case_assignee_state_t"),
            models.Index(fields=["branch", "state", "t_date"], name="case_branch_state_t"),
            models.Index(fields=["branch", "t_month"], name="case_branch_cohort"),
            # The daily job's transitions and the reminder planner scan open cases by T across all branches.
            models.Index(fields=["state", "t_date"], name="case_state_t"),
        ]

    def __str__(self) -> str:
        return f"{self.vehicle} T={self.t_date:%Y-%m-%d}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def days_to_t(self) -> int:
        """Days from today (local) to T: negative once T has passed."""
        return (self.t_date - timezone.localdate()).days

    def checkpoint_states(self, today: date | None = None) -> list[tuple[int, str]]:
        """[(45, status), (33, status), (30, status)] with status done/today/missed/upcoming/not_applicable."""
        from followups import rules

        today = today or timezone.localdate()
        done = {45: self.checkpoint_45, 33: self.checkpoint_33, 30: self.checkpoint_30}
        return [
            (code, rules.checkpoint_status(checkpoint=code, t=self.t_date, today=today, done=done[code],
                                           created_on=self.created_on))
            for code in rules.CHECKPOINTS
        ]  # fmt: skip


class CaseEvent(models.Model):
    """Every state change, assignment and escalation, with its time: reports rebuild 'as of' a cut-off from these."""

    class Kind(models.TextChoices):
        CREATED = "created", "建案"
        STATE = "state", "状态变更"
        ASSIGNED = "assigned", "分配"
        ESCALATED = "escalated", "升级"
        REVIEWED = "reviewed", "审核"
        NOTE = "note", "备注"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(db_index=True)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    actor = models.ForeignKey(Staff, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20, blank=True)
    from_assignee = models.ForeignKey(Staff, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    to_assignee = models.ForeignKey(Staff, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["case", "at"])]

    def __str__(self) -> str:
        return f"{self.case_id} {self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"
