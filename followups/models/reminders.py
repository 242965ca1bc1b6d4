"""Customer reminders (DOMAIN.md §4): templates admins edit, one dispatch row per (case, offset), one message per
(phone, local day).

Exactly once: a dispatch row is keyed by (case, offset) in the database, and the message that carries it is
claimed (pending → sending) by a conditional UPDATE before the provider is called. A run that finds nothing to
claim sends nothing; a message whose outcome is unknown (a provider timeout, a worker killed mid-send) is
reconciled with the provider or left for a person — never sent again blindly.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from followups.models.cases import Case
from policies.masking import mask_phone
from policies.models import Customer


class ReminderChannel(models.TextChoices):
    SMS = "sms", "短信"
    EMAIL = "email", "邮件"


class ReminderTemplate(models.Model):
    """What a customer receives `offset_days` before T. Placeholders: {name} {plate} {t_date}."""

    offset_days = models.PositiveSmallIntegerField("提前天数", help_text="T 前多少天发送，例如 30、15、7")
    channel = models.CharField("渠道", max_length=10, choices=ReminderChannel.choices, default=ReminderChannel.SMS)
    provider_template_code = models.CharField(
        "短信模板编码", max_length=40, blank=True, help_text="阿里云 SMS_xxxxxxxx"
    )
    body = models.TextField(
        "正文", help_text="可用占位符：{name} 客户姓名、{plate} 车牌（多辆以、分隔）、{t_date} 到期日"
    )
    active = models.BooleanField("启用", default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["channel", "-offset_days"]
        verbose_name = verbose_name_plural = "客户提醒模板"
        constraints = [
            models.UniqueConstraint(fields=["offset_days", "channel"], name="reminder_template_one_per_offset"),
            models.CheckConstraint(
                condition=Q(offset_days__gte=1) & Q(offset_days__lte=120), name="reminder_offset_range"
            ),
        ]

    def __str__(self) -> str:
        return f"T−{self.offset_days} {self.get_channel_display()}"


class DispatchState(models.TextChoices):
    PENDING = "pending", "待发送"
    SENDING = "sending", "发送中"
    SENT = "sent", "已发送"
    FAILED = "failed", "发送失败"
    SKIPPED = "skipped", "已跳过"
    UNKNOWN = "unknown", "结果未知"


class SkipReason(models.TextChoices):
    NO_CONSENT = "no_consent", "客户未同意短信"
    NO_PHONE = "no_phone", "无手机号"
    SUPERSEDED = "superseded", "已有更近的提醒"
    EXPIRED = "expired", "已过到期日"
    CASE_CLOSED = "case_closed", "案件已结束"
    NO_TEMPLATE = "no_template", "模板未启用"


class ReminderMessage(models.Model):
    """One outgoing SMS: at most one per phone number and local day, naming every plate due that day."""

    phone = models.CharField(max_length=11)
    day = models.DateField("发送日")
    channel = models.CharField(max_length=10, choices=ReminderChannel.choices, default=ReminderChannel.SMS)
    customer = models.ForeignKey(Customer, null=True, on_delete=models.SET_NULL, related_name="reminder_messages")
    template_code = models.CharField(max_length=40, blank=True)
    body = models.TextField(blank=True)
    params = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=10, choices=DispatchState.choices, default=DispatchState.PENDING)
    provider_message_id = models.CharField(max_length=80, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-day", "pk"]
        verbose_name = verbose_name_plural = "提醒短信"
        constraints = [models.UniqueConstraint(fields=["phone", "day"], name="reminder_one_message_per_phone_day")]
        indexes = [models.Index(fields=["state", "claimed_at"], name="reminder_message_state")]

    def __str__(self) -> str:
        return f"{mask_phone(self.phone)} {self.day:%Y-%m-%d} {self.get_state_display()}"

    @property
    def reference(self) -> str:
        """Our id for the provider (Aliyun OutId): lets a reconciliation find the message after a timeout."""
        return f"rd{self.pk}"

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)


class ReminderDispatch(models.Model):
    """The reminder of one case at one offset: created once, sent at most once, whatever runs it."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="reminders")
    offset_days = models.PositiveSmallIntegerField("提前天数")
    due_on = models.DateField("到期发送日", help_text="该提醒最早可发送的日期（T − 提前天数）")
    planned_on = models.DateField("计划日")
    state = models.CharField(max_length=10, choices=DispatchState.choices, default=DispatchState.PENDING)
    skip_reason = models.CharField(max_length=20, choices=SkipReason.choices, blank=True)
    message = models.ForeignKey(
        ReminderMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="dispatches"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-planned_on", "pk"]
        verbose_name = verbose_name_plural = "客户提醒"
        constraints = [
            models.UniqueConstraint(fields=["case", "offset_days"], name="reminder_once_per_case_and_offset"),
            models.CheckConstraint(condition=~Q(state="skipped") | ~Q(skip_reason=""), name="reminder_skip_has_reason"),
        ]
        indexes = [models.Index(fields=["state", "planned_on"], name="reminder_dispatch_state")]

    def __str__(self) -> str:
        return f"{self.case} T−{self.offset_days} {self.get_state_display()}"
