"""Stored report files, on-demand builds and the in-app notices that announce them (DOMAIN.md §8, §12)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from policies.models import Branch


class ReportKind(models.TextChoices):
    BATTLE = "battle", "战报表"
    REGISTER = "register", "续保客户登记表"
    DAILY = "daily", "日报"
    WEEKLY = "weekly", "周报"
    BOARD = "board", "到期管理表"


class ReportFile(models.Model):
    """One stored workbook: a branch's (or, with no branch, the division's) report of a month.

    Building the same kind, branch and month again replaces the row and the file (the constraints below),
    so the reports page always lists one file per month and branch.
    """

    kind = models.CharField("类型", max_length=12, choices=ReportKind.choices)
    branch = models.ForeignKey(
        Branch, null=True, blank=True, on_delete=models.PROTECT, related_name="report_files", verbose_name="门店"
    )
    month = models.DateField("月份", help_text="首日")
    cut_off = models.DateTimeField("数据截至")
    path = models.CharField("文件", max_length=500, help_text="相对 REPORTS_DIR")
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-month", "kind", "branch__code"]
        verbose_name = verbose_name_plural = "报表文件"
        constraints = [
            # NULL branch = the division's file; NULLs are distinct in a plain unique index, hence two.
            models.UniqueConstraint(
                fields=["kind", "branch", "month"], condition=Q(branch__isnull=False), name="report_file_one_per_branch"
            ),
            models.UniqueConstraint(
                fields=["kind", "month"], condition=Q(branch__isnull=True), name="report_file_one_for_division"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.month:%Y-%m} {self.scope_label}"

    @property
    def scope_label(self) -> str:
        return self.branch.name if self.branch_id else "事业部"

    @property
    def download_name(self) -> str:
        scope = self.branch.code if self.branch_id else "事业部"
        return f"{self.get_kind_display()}_{self.month:%Y-%m}_{scope}.xlsx"


class ReportBuild(models.Model):
    """A build someone asked for on the reports pages: runs as a Celery task, polled for progress."""

    class State(models.TextChoices):
        QUEUED = "queued", "排队中"
        RUNNING = "running", "生成中"
        DONE = "done", "已完成"
        FAILED = "failed", "失败"

    kind = models.CharField("类型", max_length=12, choices=ReportKind.choices)
    branch = models.ForeignKey(Branch, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    period_start = models.DateField("期间起")
    period_end = models.DateField("期间止")
    cut_off = models.DateTimeField("数据截至")
    full_phones = models.BooleanField("完整电话", default=False)
    staff_only = models.ForeignKey(
        "policies.Staff", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", help_text="仅本人行"
    )
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    progress = models.CharField(max_length=200, blank=True)
    report_file = models.ForeignKey(ReportFile, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Outputs that are not shared files (a register with full phones, a personal 日报) stay with the build.
    path = models.CharField(max_length=500, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = verbose_name_plural = "报表生成"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.period_start:%Y-%m-%d} {self.get_state_display()}"

    @property
    def is_finished(self) -> bool:
        return self.state in {self.State.DONE, self.State.FAILED}


class ReportNotice(models.Model):
    """An in-app notice: 'the 2026-05 战报表 is ready'. Shown on the reports page until read."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_notices")
    month = models.DateField()
    text = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["recipient", "month"], name="report_notice_once_per_month")]

    def __str__(self) -> str:
        return self.text
