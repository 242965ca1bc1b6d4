"""Policy records (DOMAIN.md §3): branches, staff, customers, vehicles, insurers, policies and vehicle-terms.

Rows hold their own invariants as database constraints; every write goes through policies/services.py
(or the importer, which is a service that writes in one transaction).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from policies.masking import mask_id_number, mask_phone


class Branch(models.Model):
    code = models.CharField("门店编码", max_length=20, unique=True)
    name = models.CharField("门店名称", max_length=100)
    city = models.CharField("城市", max_length=50, blank=True)
    programme_start = models.DateField("续保启动日期", null=True, blank=True)
    perks_start = models.DateField("权益启用日期", null=True, blank=True)
    rescue_cities = models.CharField("救援城市", max_length=300, blank=True, help_text="以、分隔；空 = 门店所在城市")
    free_washes = models.BooleanField("免费洗车", default=False)
    advance_days = models.PositiveSmallIntegerField("提前投保天数", default=90)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = verbose_name_plural = "门店"
        constraints = [
            models.CheckConstraint(
                condition=Q(advance_days__gte=1) & Q(advance_days__lte=366), name="branch_advance_days_range"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def rescue_city_list(self) -> list[str]:
        cities = [c.strip() for c in self.rescue_cities.replace(",", "、").split("、") if c.strip()]
        return cities or ([self.city] if self.city else [])


class Staff(models.Model):
    """A person of the group. Their roles are the auth Groups of their login (renewal_desk/roles.py)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="staff")
    employee_no = models.CharField("工号", max_length=20, unique=True)
    name = models.CharField("姓名", max_length=50)
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="staff", verbose_name="门店")
    team = models.CharField("团队", max_length=50, blank=True)
    is_team_leader = models.BooleanField("组长", default=False)
    base_salary = models.DecimalField("基本工资", max_digits=10, decimal_places=2, default=Decimal("0.00"))
    active = models.BooleanField("在职", default=True)
    left_on = models.DateField("离职日期", null=True, blank=True)

    class Meta:
        ordering = ["employee_no"]
        verbose_name = verbose_name_plural = "员工"
        constraints = [models.CheckConstraint(condition=Q(base_salary__gte=0), name="staff_base_salary_non_negative")]
        indexes = [models.Index(fields=["branch", "team"])]

    def __str__(self) -> str:
        return f"{self.name}（{self.employee_no}）"

    @property
    def roles(self) -> set[str]:
        # Prefetched groups are used when present, so lists of staff don't query per row.
        return {group.name for group in self.user.groups.all()}


class Customer(models.Model):
    """A policy holder. The full ID number is never stored: only its mask and a keyed hash for matching."""

    name = models.CharField("姓名", max_length=100)
    mobile = models.CharField("手机号", max_length=11, blank=True)
    mobile_last4 = models.CharField(max_length=4, blank=True, db_index=True)
    id_masked = models.CharField("证件号（掩码）", max_length=18, blank=True)
    id_hash = models.CharField(max_length=64, null=True, blank=True, editable=False)
    sms_consent = models.BooleanField("短信同意", default=False)
    sms_consent_on = models.DateField("同意日期", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "客户"
        constraints = [
            models.UniqueConstraint(
                fields=["id_hash"], condition=Q(id_hash__isnull=False), name="customer_unique_id_hash"
            ),
        ]
        indexes = [models.Index(fields=["name"]), models.Index(fields=["mobile"])]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.mobile_last4 = self.mobile[-4:] if self.mobile else ""
        if self.id_masked and len(self.id_masked) == 18 and "*" not in self.id_masked:
            self.id_masked = mask_id_number(self.id_masked)  # never keep a full ID, whatever the caller passed
        super().save(*args, **kwargs)

    @property
    def masked_mobile(self) -> str:
        return mask_phone(self.mobile)


class ConsentChange(models.Model):
    """History of SMS consent: the latest row or action wins (DOMAIN.md §4)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="consent_changes")
    consent = models.BooleanField()
    source = models.CharField(max_length=40)  # import / desk / opt-out
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(Staff, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-recorded_at"]

    def __str__(self) -> str:
        return f"{'同意' if self.consent else '不同意'}短信（{self.source}）"


class Insurer(models.Model):
    name = models.CharField("保险公司", max_length=100, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = verbose_name_plural = "保险公司"

    def __str__(self) -> str:
        return self.name


class Vehicle(models.Model):
    vin = models.CharField("车架号", max_length=17, unique=True)
    plate = models.CharField("车牌号", max_length=8, blank=True, db_index=True)
    engine_no = models.CharField("发动机号", max_length=40, blank=True)
    model_name = models.CharField("厂牌型号", max_length=100, blank=True)
    first_registration = models.DateField("初登日期", null=True, blank=True)
    new_energy = models.BooleanField("新能源", default=False)
    owner = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="vehicles", verbose_name="车主"
    )

    class Meta:
        verbose_name = verbose_name_plural = "车辆"
        constraints = [
            models.CheckConstraint(condition=Q(vin__regex=r"^[A-HJ-NPR-Z0-9]{17}$"), name="vehicle_vin_format"),
        ]

    def __str__(self) -> str:
        return self.plate or self.vin


class Channel(models.TextChoices):
    STORE = "store", "到店"
    TELESALES = "telesales", "电销"


class PolicyKind(models.TextChoices):
    COMPULSORY = "compulsory", "交强险"
    COMMERCIAL = "commercial", "商业险"


class RenewalKind(models.TextChoices):
    NEW = "new", "新保/首年"
    RENEWAL = "renewal", "续回"
    LAPSED = "lapsed", "脱保续回"


class VehicleTerm(models.Model):
    """One vehicle's 交强 and/or 商业 policies of the same term (end dates within 60 days): counts once everywhere.

    The fields below are derived from the term's policies by policies.services.refresh_term and are never
    edited by hand. T (`t_date`) is the earlier end date; credits, channel and signing date come from the 商业
    policy when there is one.
    """

    vehicle = models.ForeignKey(Vehicle, on_delete=models.PROTECT, related_name="terms")
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="terms")
    owner = models.ForeignKey(Customer, null=True, on_delete=models.SET_NULL, related_name="terms")
    start_on = models.DateField("起保日期")
    t_date = models.DateField("到期日 T")
    last_end = models.DateField("最后终保日期")
    signed_on = models.DateField("签单日期")
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.STORE)
    callback = models.ForeignKey(Staff, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    seller = models.ForeignKey(Staff, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    lead = models.ForeignKey(Staff, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    follow_up = models.ForeignKey(Staff, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    has_compulsory = models.BooleanField(default=False)
    has_commercial = models.BooleanField(default=False)
    premium_compulsory = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0.00"))
    premium_commercial = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0.00"))
    full_cover = models.BooleanField("全保", default=False)
    previous_term = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="next_terms"
    )
    renewal_kind = models.CharField(max_length=10, choices=RenewalKind.choices, default=RenewalKind.NEW)
    cancelled_on = models.DateField("退保日期", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "车辆保险期"
        constraints = [
            models.CheckConstraint(condition=Q(last_end__gte=F("t_date")), name="term_last_end_after_t"),
            models.CheckConstraint(condition=Q(t_date__gt=F("start_on")), name="term_t_after_start"),
            models.CheckConstraint(condition=Q(has_compulsory=True) | Q(has_commercial=True), name="term_has_a_policy"),
        ]
        indexes = [
            models.Index(fields=["t_date", "branch"]),
            models.Index(fields=["vehicle", "t_date"]),
            models.Index(fields=["branch", "signed_on"]),
        ]

    def __str__(self) -> str:
        return f"{self.vehicle} T={self.t_date:%Y-%m-%d}"

    @property
    def premium_total(self) -> Decimal:
        return self.premium_compulsory + self.premium_commercial

    @property
    def is_renewal(self) -> bool:
        return self.renewal_kind != RenewalKind.NEW


class Policy(models.Model):
    """One policy as the insurer issued it. Every row of the 保单 sheet was sold through this store."""

    insurer = models.ForeignKey(Insurer, on_delete=models.PROTECT, related_name="policies")
    policy_no = models.CharField("保单号", max_length=60)
    kind = models.CharField("险种", max_length=12, choices=PolicyKind.choices)
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="policies")
    vehicle = models.ForeignKey(Vehicle, on_delete=models.PROTECT, related_name="policies")
    # Set by policies.services.rebuild_terms in the same transaction that writes the policy.
    term = models.ForeignKey(VehicleTerm, null=True, blank=True, on_delete=models.SET_NULL, related_name="policies")
    insured = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="policies")
    signed_on = models.DateField("签单日期", null=True, blank=True)
    start_on = models.DateField("起保日期")
    end_on = models.DateField("终保日期")
    premium = models.DecimalField("保费", max_digits=12, decimal_places=2)
    coverages = models.JSONField("险别", default=list, blank=True)
    has_vehicle_damage = models.BooleanField(default=False)
    third_party_limit = models.PositiveIntegerField(null=True, blank=True)
    channel = models.CharField("渠道", max_length=10, choices=Channel.choices, default=Channel.STORE)
    callback = models.ForeignKey(Staff, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    seller = models.ForeignKey(Staff, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    lead = models.ForeignKey(Staff, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    follow_up = models.ForeignKey(Staff, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    previous_policy_no = models.CharField("上年保单号", max_length=60, blank=True)
    cancelled_on = models.DateField("退保日期", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "保单"
        constraints = [
            models.UniqueConstraint(fields=["insurer", "policy_no"], name="policy_unique_per_insurer"),
            models.CheckConstraint(condition=Q(end_on__gt=F("start_on")), name="policy_end_after_start"),
            models.CheckConstraint(condition=Q(premium__gte=0), name="policy_premium_non_negative"),
        ]
        indexes = [
            models.Index(fields=["vehicle", "end_on"]),
            models.Index(fields=["policy_no"]),
        ]

    def __str__(self) -> str:
        return f"{self.insurer} {self.policy_no}"


class RetainedCustomer(models.Model):
    """A 保有客户 row: a vehicle the workshop keeps that is insured elsewhere (DOMAIN.md §3, §9)."""

    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="retained_customers")
    vehicle = models.ForeignKey(Vehicle, on_delete=models.PROTECT, related_name="retained_rows")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="retained_rows")
    last_return_on = models.DateField("最近返厂日期", null=True, blank=True)
    previous_insurer = models.CharField("上年保险公司", max_length=100, blank=True)
    previous_policy_no = models.CharField("上年保单号", max_length=60, blank=True)
    expected_end = models.DateField("预计到期日", null=True, blank=True)
    follow_up = models.ForeignKey(Staff, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "保有客户"
        constraints = [models.UniqueConstraint(fields=["branch", "vehicle"], name="retained_unique_branch_vehicle")]
        indexes = [models.Index(fields=["expected_end", "branch"])]

    def __str__(self) -> str:
        return f"保有客户 {self.vehicle_id}"

    @property
    def has_complete_policy_data(self) -> bool:
        return bool(self.previous_insurer and self.previous_policy_no)


class ImportBatch(models.Model):
    """One uploaded or command-line workbook import: what was asked, what happened, every error."""

    class State(models.TextChoices):
        QUEUED = "queued", "排队中"
        RUNNING = "running", "导入中"
        DONE = "done", "已导入"
        CHECKED = "checked", "校验通过（未写入）"
        REFUSED = "refused", "有错误，未写入"
        FAILED = "failed", "失败"

    file = models.FileField(upload_to="imports/%Y/%m/", blank=True)
    original_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    dry_run = models.BooleanField(default=False)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    progress = models.CharField(max_length=200, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    errors = models.JSONField(default=list, blank=True)
    warnings = models.JSONField(default=list, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = verbose_name_plural = "导入批次"

    def __str__(self) -> str:
        return f"{self.original_name}（{self.get_state_display()}）"
