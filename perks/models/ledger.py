"""Entitlements and the append-only ledger (DOMAIN.md §6, §12 Kinds): what a vehicle was given for a term,
and every event of it — issued, redeemed, expired, reversed — with who and when."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from policies.models import Branch, Customer, Staff, Vehicle, VehicleTerm

ZERO = Decimal("0.00")


class PerkKind(models.TextChoices):
    REPAIR_CARD = "repair_card", "工时材料折扣卡"
    WASH = "wash", "免费洗车"
    RESCUE = "rescue", "免费道路救援"
    INSPECTION = "inspection", "免费年检"
    OIL = "oil", "机油（标准 1 桶）"
    OIL_FILTER = "oil_filter", "机滤"
    EXTRA_OIL = "extra_oil", "加赠机油"
    PREMIUM_REWARD = "premium_reward", "保费奖励券"
    LOYALTY_STREAK = "loyalty_streak", "连续续保奖励券"
    LOYALTY_CUMULATIVE = "loyalty_cumulative", "累计续保奖励券"
    RESCUE_CARD = "rescue_card", "全国道路救援卡"  # carried by a manager-approved quote (§5), not by the renewal


# Term entitlements run from the term's start to its last covered day; vouchers for 6 months from issue;
# the rescue card for a year from issue.
TERM_KINDS = frozenset({PerkKind.REPAIR_CARD, PerkKind.WASH, PerkKind.RESCUE, PerkKind.INSPECTION})
VOUCHER_KINDS = frozenset(
    {PerkKind.OIL, PerkKind.OIL_FILTER, PerkKind.EXTRA_OIL, PerkKind.PREMIUM_REWARD, PerkKind.LOYALTY_STREAK,
     PerkKind.LOYALTY_CUMULATIVE}
)  # fmt: skip
MONEY_KINDS = frozenset({PerkKind.PREMIUM_REWARD, PerkKind.LOYALTY_STREAK, PerkKind.LOYALTY_CUMULATIVE})
SINGLE_USE_KINDS = VOUCHER_KINDS | {PerkKind.INSPECTION, PerkKind.RESCUE_CARD}
ONCE_PER_TERM_KINDS = frozenset(
    {PerkKind.REPAIR_CARD, PerkKind.WASH, PerkKind.RESCUE, PerkKind.OIL, PerkKind.OIL_FILTER, PerkKind.RESCUE_CARD}
)
LOYALTY_KINDS = frozenset({PerkKind.LOYALTY_STREAK, PerkKind.LOYALTY_CUMULATIVE, PerkKind.INSPECTION})


class EntitlementStatus(models.TextChoices):
    LIVE = "live", "可用"
    USED = "used", "已使用"
    EXPIRED = "expired", "已过期"
    REVERSED = "reversed", "已冲销"


class Entitlement(models.Model):
    """One perk given to a vehicle for a term: its current state. Its history is in LedgerEntry."""

    term = models.ForeignKey(VehicleTerm, on_delete=models.PROTECT, related_name="entitlements")
    vehicle = models.ForeignKey(Vehicle, on_delete=models.PROTECT, related_name="entitlements")
    owner = models.ForeignKey(Customer, null=True, on_delete=models.PROTECT, related_name="entitlements")
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="entitlements", verbose_name="发放门店")
    kind = models.CharField("权益", max_length=20, choices=PerkKind.choices)
    status = models.CharField("状态", max_length=10, choices=EntitlementStatus.choices, default=EntitlementStatus.LIVE)
    face_value = models.DecimalField("面值", max_digits=10, decimal_places=2, default=ZERO)
    quantity = models.PositiveSmallIntegerField("数量", null=True, blank=True, help_text="空 = 期内不限次")
    valid_from = models.DateField("生效日")
    valid_until = models.DateField("有效期至")
    ended_on = models.DateField("提前终止日", null=True, blank=True)
    oil_request = models.ForeignKey(
        "OilRequest", null=True, blank=True, on_delete=models.PROTECT, related_name="entitlements"
    )
    sequence = models.PositiveSmallIntegerField(default=1)
    rule_terms = models.JSONField("规则条款", default=dict)
    unrecovered = models.BooleanField("已使用未追回", default=False)
    issued_at = models.DateTimeField(default=timezone.now)
    issued_by = models.ForeignKey(Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = verbose_name_plural = "客户权益"
        ordering = ["valid_until", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["term", "kind"], condition=Q(kind__in=ONCE_PER_TERM_KINDS), name="entitlement_once_per_term"
            ),
            # A premium reward may be reissued at a higher band: one row per band, one live at a time.
            models.UniqueConstraint(
                fields=["term", "face_value"], condition=Q(kind=PerkKind.PREMIUM_REWARD),
                name="premium_reward_once_per_band",
            ),
            models.UniqueConstraint(
                fields=["term"], condition=Q(kind=PerkKind.PREMIUM_REWARD, status=EntitlementStatus.LIVE),
                name="premium_reward_one_live_per_term",
            ),
            # Loyalty rewards: once per vehicle and owner (a reversed one may be earned again).
            models.UniqueConstraint(
                fields=["vehicle", "owner", "kind"],
                condition=Q(kind__in=LOYALTY_KINDS) & ~Q(status=EntitlementStatus.REVERSED),
                name="loyalty_once_per_vehicle_and_owner",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=LOYALTY_KINDS) | Q(owner__isnull=False), name="loyalty_needs_an_owner"
            ),
            models.UniqueConstraint(
                fields=["oil_request", "sequence"], condition=Q(oil_request__isnull=False),
                name="extra_oil_once_per_granted_bucket",
            ),
            models.CheckConstraint(
                condition=Q(kind=PerkKind.EXTRA_OIL, oil_request__isnull=False)
                | (~Q(kind=PerkKind.EXTRA_OIL) & Q(oil_request__isnull=True)),
                name="extra_oil_comes_from_a_request",
            ),
            models.CheckConstraint(condition=Q(valid_until__gte=F("valid_from")), name="entitlement_valid_range"),
            models.CheckConstraint(condition=Q(face_value__gte=0), name="entitlement_face_value_non_negative"),
        ]  # fmt: skip
        indexes = [
            models.Index(fields=["vehicle", "status"]),
            models.Index(fields=["status", "valid_until"]),
            models.Index(fields=["term", "kind"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.vehicle}"

    @property
    def is_voucher(self) -> bool:
        return self.kind in VOUCHER_KINDS

    @property
    def is_money(self) -> bool:
        return self.kind in MONEY_KINDS

    @property
    def single_use(self) -> bool:
        return self.kind in SINGLE_USE_KINDS


class EntryType(models.TextChoices):
    ISSUED = "issued", "发放"
    REDEEMED = "redeemed", "核销"
    EXPIRED = "expired", "过期"
    REVERSED = "reversed", "冲销"


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("权益台账只能追加，不能修改。")

    def delete(self):
        raise PermissionError("权益台账只能追加，不能删除。")


class LedgerEntry(models.Model):
    """One event of one perk: issued, redeemed, expired or reversed — with who and when. Never edited."""

    entry_type = models.CharField("类型", max_length=10, choices=EntryType.choices)
    entitlement = models.ForeignKey(Entitlement, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField("权益", max_length=20, choices=PerkKind.choices)
    vehicle = models.ForeignKey(Vehicle, on_delete=models.PROTECT, related_name="+")
    term = models.ForeignKey(VehicleTerm, on_delete=models.PROTECT, related_name="+")
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="+", verbose_name="发放门店")
    at_branch = models.ForeignKey(
        Branch, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="核销门店"
    )
    quantity = models.PositiveSmallIntegerField("数量", default=1)
    amount = models.DecimalField("金额", max_digits=12, decimal_places=2, default=ZERO,
                                 help_text="面值券的面值；折扣卡的实际折扣；追回时为应扣金额")  # fmt: skip
    cost = models.DecimalField("成本", max_digits=12, decimal_places=2, default=ZERO)
    valid_from = models.DateField("生效日")
    valid_until = models.DateField("有效期至")
    rule_terms = models.JSONField("规则条款", default=dict)
    refers_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="followed_by",
        verbose_name="对应记录",
    )  # fmt: skip
    unrecovered = models.BooleanField("已使用未追回", default=False)
    occurred_on = models.DateField("业务日期")
    recorded_at = models.DateTimeField("记录时间", default=timezone.now)
    recorded_by = models.ForeignKey(Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    note = models.CharField("说明", max_length=200, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "权益台账"
        ordering = ["recorded_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["entitlement"], condition=Q(entry_type=EntryType.ISSUED), name="ledger_issued_once"
            ),
            models.UniqueConstraint(
                fields=["entitlement"], condition=Q(entry_type=EntryType.EXPIRED), name="ledger_expired_once"
            ),
            models.UniqueConstraint(
                fields=["entitlement"], condition=Q(entry_type=EntryType.REDEEMED, kind__in=SINGLE_USE_KINDS),
                name="ledger_single_use_redeemed_once",
            ),
            models.UniqueConstraint(
                fields=["refers_to"], condition=Q(entry_type=EntryType.REVERSED), name="ledger_reversed_once"
            ),
            models.CheckConstraint(
                condition=Q(entry_type=EntryType.ISSUED, refers_to__isnull=True)
                | (~Q(entry_type=EntryType.ISSUED) & Q(refers_to__isnull=False)),
                name="ledger_refers_to_unless_issued",
            ),
            models.CheckConstraint(condition=Q(cost__gte=0) & Q(amount__gte=0), name="ledger_money_non_negative"),
            models.CheckConstraint(
                condition=Q(unrecovered=False) | Q(entry_type=EntryType.REVERSED), name="ledger_unrecovered_on_reversal"
            ),
        ]  # fmt: skip
        indexes = [
            models.Index(fields=["branch", "entry_type", "occurred_on"]),
            models.Index(fields=["term", "entry_type"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_entry_type_display()} {self.get_kind_display()} {self.occurred_on:%Y-%m-%d}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("权益台账只能追加，不能修改。")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("权益台账只能追加，不能删除。")
