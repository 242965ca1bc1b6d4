from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import F, Q

from followups.models.cases import Case
from policies.models import Insurer, Staff


class ApprovalLevel(models.TextChoices):
    NONE = "none", "无需审批"
    SPECIALIST = "specialist", "本人权限"
    MANAGER = "manager", "经理"
    GM = "gm", "总经理"


class QuoteStatus(models.TextChoices):
    SAVED = "saved", "已保存"
    PENDING = "pending", "待审批"
    APPROVED = "approved", "已批准"
    REJECTED = "rejected", "已驳回"
    SUPERSEDED = "superseded", "已作废"
    ACCEPTED = "accepted", "客户已接受"


class Quote(models.Model):
    """A price offered to the customer. A discount above the requester's authority waits for an approver."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="quotes")
    requested_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="quotes")
    created_at = models.DateTimeField(db_index=True)
    insurer = models.ForeignKey(Insurer, on_delete=models.PROTECT, related_name="+")
    premium_compulsory = models.DecimalField("交强险", max_digits=12, decimal_places=2, default=Decimal("0.00"))
    premium_commercial = models.DecimalField("商业险", max_digits=12, decimal_places=2, default=Decimal("0.00"))
    vehicle_tax = models.DecimalField("车船税", max_digits=10, decimal_places=2, default=Decimal("0.00"))
    coverages = models.JSONField("险别", default=list, blank=True)
    full_cover = models.BooleanField("全保", default=False)
    ncd = models.DecimalField("NCD 系数", max_digits=4, decimal_places=2, null=True, blank=True)
    discount = models.DecimalField("让利金额", max_digits=12, decimal_places=2, default=Decimal("0.00"))
    # d = discount ÷ 商业险 premium, kept exactly enough to sit on the 8/10/14% edges (6 places).
    discount_rate = models.DecimalField("让利比例", max_digits=9, decimal_places=6, default=Decimal("0"))
    rescue_card = models.BooleanField("全国道路救援卡", default=False)
    level = models.CharField("审批级别", max_length=12, choices=ApprovalLevel.choices, default=ApprovalLevel.NONE)
    status = models.CharField(max_length=12, choices=QuoteStatus.choices, default=QuoteStatus.SAVED)
    reason = models.CharField("申请理由", max_length=500, blank=True)
    decided_by = models.ForeignKey(Staff, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_comment = models.CharField("审批意见", max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("requested_by")),
                name="quote_approver_is_not_requester",
            ),
            models.CheckConstraint(condition=Q(discount__gte=0), name="quote_discount_non_negative"),
            models.CheckConstraint(
                condition=Q(discount_rate__lte=Decimal("0.14")), name="quote_discount_at_most_14_percent"
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(decision_comment=""), name="quote_rejection_needs_reason"
            ),
        ]
        indexes = [models.Index(fields=["status", "level"], name="quote_status_level")]

    def __str__(self) -> str:
        return f"{self.case_id} 让利 {self.discount_rate * 100:.2f}% {self.get_status_display()}"

    @property
    def net_commercial(self) -> Decimal:
        return self.premium_commercial - self.discount

    @property
    def total_after_discount(self) -> Decimal:
        """What the customer pays for insurance: 交强 + 商业 − 让利 (车船税 is collected on top, never premium)."""
        return self.premium_compulsory + self.net_commercial
