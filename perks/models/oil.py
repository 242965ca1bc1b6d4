"""The per-term perk counter that grants lock, extra-oil requests and their decisions (DOMAIN.md §12 Extra oil)."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from perks.rules import MAX_EXTRA_BUCKETS, OIL_CAP
from policies.models import Branch, Staff, VehicleTerm


class TermPerkCounter(models.Model):
    """The per-term row that oil grants and wash redemptions lock (select_for_update) before they check.

    granted_buckets counts the standard bucket and every approved extra of this term; next_term_buckets holds
    extras approved on an open case, which vest on the renewal that the case records.
    """

    term = models.OneToOneField(VehicleTerm, on_delete=models.PROTECT, related_name="perk_counter")
    granted_buckets = models.PositiveSmallIntegerField("已批机油（含标准）", default=0)
    next_term_buckets = models.PositiveSmallIntegerField("续回后生效的加赠", default=0)
    washes_issued = models.PositiveSmallIntegerField("免费洗车次数", default=0)
    washes_redeemed = models.PositiveSmallIntegerField("已洗次数", default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "保险期权益计数"
        constraints = [
            models.CheckConstraint(condition=Q(granted_buckets__lte=OIL_CAP), name="oil_at_most_four_buckets_per_term"),
            models.CheckConstraint(
                condition=Q(next_term_buckets__lte=MAX_EXTRA_BUCKETS), name="oil_advance_within_cap"
            ),
            models.CheckConstraint(
                condition=Q(washes_redeemed__lte=F("washes_issued")), name="washes_redeemed_within_issued"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.term}：机油 {self.granted_buckets} 桶，洗车 {self.washes_redeemed}/{self.washes_issued}"


class OilRequestStatus(models.TextChoices):
    PENDING = "pending", "待审批"
    APPROVED = "approved", "已批准"
    REJECTED = "rejected", "已驳回"
    REFUSED = "refused", "超限拒绝"
    VOID = "void", "已作废"


class OilRequest(models.Model):
    term = models.ForeignKey(VehicleTerm, on_delete=models.PROTECT, related_name="oil_requests")
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="oil_requests")
    requester = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="oil_requests")
    buckets = models.PositiveSmallIntegerField("申请桶数")
    reason = models.TextField("申请理由")
    for_next_term = models.BooleanField("续回后生效", default=False)
    total_at_request = models.PositiveSmallIntegerField("申请时合计")
    status = models.CharField(max_length=10, choices=OilRequestStatus.choices, default=OilRequestStatus.PENDING)
    vested_term = models.ForeignKey(
        VehicleTerm, null=True, blank=True, on_delete=models.PROTECT, related_name="vested_oil_requests"
    )
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "加赠机油申请"
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["term"], condition=Q(status=OilRequestStatus.PENDING), name="oil_one_pending_request_per_term"
            ),
            models.CheckConstraint(
                condition=Q(buckets__gte=1) & Q(buckets__lte=MAX_EXTRA_BUCKETS), name="oil_request_bucket_range"
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="oil_request_needs_reason"),
        ]
        indexes = [models.Index(fields=["branch", "status"])]

    def __str__(self) -> str:
        return f"+{self.buckets} 桶 · {self.term}"


class OilDecisionOutcome(models.TextChoices):
    APPROVED = "approved", "批准"
    REJECTED = "rejected", "驳回"
    REFUSED = "refused", "超限拒绝"


class OilDecision(models.Model):
    request = models.OneToOneField(OilRequest, on_delete=models.PROTECT, related_name="decision")
    requester = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")  # copied: maker ≠ checker
    approver = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="oil_decisions")
    outcome = models.CharField(max_length=10, choices=OilDecisionOutcome.choices)
    level = models.CharField(max_length=10)
    total_after = models.PositiveSmallIntegerField("决定后本期合计")
    comment = models.TextField("意见", blank=True)
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = verbose_name_plural = "加赠机油审批"
        constraints = [
            models.CheckConstraint(condition=~Q(approver=F("requester")), name="oil_requester_is_not_approver"),
            models.CheckConstraint(
                condition=~Q(outcome=OilDecisionOutcome.REJECTED) | ~Q(comment=""), name="oil_rejection_needs_comment"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} · {self.request}"
