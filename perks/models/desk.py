"""Service-desk records: rescue logs, repair-bill pricing, and the effective-dated unit-cost table (§12 Cost)."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from perks.models.ledger import ZERO, Entitlement, LedgerEntry
from policies.models import Branch, Staff, Vehicle, VehicleTerm


class RescueLog(models.Model):
    term = models.ForeignKey(VehicleTerm, on_delete=models.PROTECT, related_name="rescues")
    vehicle = models.ForeignKey(Vehicle, on_delete=models.PROTECT, related_name="+")
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="+", verbose_name="发放门店")
    city = models.CharField("救援地点城市", max_length=50)
    free = models.BooleanField("免费救援")
    note = models.CharField(max_length=100, blank=True)  # 不在免费范围 / 无有效救援权益
    entry = models.OneToOneField(LedgerEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    occurred_on = models.DateField()
    logged_by = models.ForeignKey(Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    logged_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = verbose_name_plural = "救援记录"

    def __str__(self) -> str:
        return f"{self.city} {'免费' if self.free else self.note}"


class RepairBill(models.Model):
    """One priced repair order: its lines, both prices when a promotion competes, and the choice made."""

    vehicle = models.ForeignKey(Vehicle, on_delete=models.PROTECT, related_name="repair_bills")
    term = models.ForeignKey(VehicleTerm, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    card = models.ForeignKey(Entitlement, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="+", verbose_name="维修门店")
    order_no = models.CharField("维修单号", max_length=40, blank=True)
    opened_on = models.DateField("开单日期")
    lines = models.JSONField("明细")
    promotion_percent = models.DecimalField("活动折扣%", max_digits=5, decimal_places=2, null=True, blank=True)
    list_total = models.DecimalField(max_digits=12, decimal_places=2)
    card_total = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    promotion_total = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    choice = models.CharField(max_length=10)
    total = models.DecimalField(max_digits=12, decimal_places=2)
    card_discount = models.DecimalField(max_digits=12, decimal_places=2, default=ZERO)
    explanation = models.CharField(max_length=200, blank=True)
    entry = models.OneToOneField(LedgerEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    priced_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    priced_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = verbose_name_plural = "维修结算"
        constraints = [models.CheckConstraint(condition=Q(total__lte=F("list_total")), name="bill_never_above_list")]

    def __str__(self) -> str:
        return f"{self.order_no or self.opened_on} {self.total}"


class CostItem(models.TextChoices):
    OIL_BUCKET = "oil_bucket", "机油/桶"
    OIL_FILTER = "oil_filter", "机滤"
    WASH = "wash", "洗车/次"
    RESCUE = "rescue", "救援/次"
    INSPECTION = "inspection", "年检"
    RESCUE_CARD = "rescue_card", "救援卡"


# Invented defaults (ui/NOTES.md "Assumptions to confirm": 268.00 the oil); admins set the real ones.
DEFAULT_UNIT_COSTS: dict[str, Decimal] = {
    CostItem.OIL_BUCKET: Decimal("268.00"),
    CostItem.OIL_FILTER: Decimal("58.00"),
    CostItem.WASH: Decimal("30.00"),
    CostItem.RESCUE: Decimal("200.00"),
    CostItem.INSPECTION: Decimal("300.00"),
    CostItem.RESCUE_CARD: Decimal("198.00"),
}


class UnitCost(models.Model):
    """Effective-dated unit costs per branch (no branch = the group's default)."""

    branch = models.ForeignKey(Branch, null=True, blank=True, on_delete=models.PROTECT, related_name="perk_costs")
    item = models.CharField("项目", max_length=20, choices=CostItem.choices)
    amount = models.DecimalField("单位成本", max_digits=10, decimal_places=2)
    effective_from = models.DateField("生效日期")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "权益单位成本"
        ordering = ["item", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["branch", "item", "effective_from"], condition=Q(branch__isnull=False),
                name="unit_cost_once_per_branch_item_day",
            ),
            models.UniqueConstraint(
                fields=["item", "effective_from"], condition=Q(branch__isnull=True),
                name="unit_cost_once_per_group_item_day",
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="unit_cost_non_negative"),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.get_item_display()} {self.amount}"
