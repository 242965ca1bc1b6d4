from __future__ import annotations

from django.db import models

from followups.models.cases import Case
from policies.models import Staff


class ContactResult(models.TextChoices):
    REACHED = "reached", "接通"
    NO_ANSWER = "no_answer", "未接"
    REFUSED = "refused", "拒绝"
    WRONG_NUMBER = "wrong_number", "空号"


class Contact(models.Model):
    """One call or visit. Effective = reached the customer near a checkpoint (T−45, T−33, T−30)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="contacts")
    staff = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="contacts")
    at = models.DateTimeField(db_index=True)
    result = models.CharField("结果", max_length=20, choices=ContactResult.choices)
    effective = models.BooleanField("有效联系", default=False)
    checkpoint = models.PositiveSmallIntegerField("计入检查点", null=True, blank=True)  # 45 / 33 / 30
    next_contact_at = models.DateTimeField("下次联系", null=True, blank=True)
    note = models.TextField("备注", blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["case", "at"]), models.Index(fields=["staff", "at"])]

    def __str__(self) -> str:
        return f"{self.case_id} {self.at:%Y-%m-%d %H:%M} {self.get_result_display()}"
