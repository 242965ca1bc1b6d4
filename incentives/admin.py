"""Read-mostly admin: every write of money goes through incentives.services (maker ≠ checker, locks)."""

from django.contrib import admin

from incentives.models import PayoutLine, PayoutRun, RuleVersion, SpecialAward, Target, TeamSatisfaction


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RuleVersion)
class RuleVersionAdmin(ReadOnlyAdmin):
    list_display = ("label", "branch", "effective_from", "state", "created_by", "published_by", "used")
    list_filter = ("state", "used")


@admin.register(PayoutRun)
class PayoutRunAdmin(ReadOnlyAdmin):
    list_display = ("branch", "month", "state", "rule_version", "total", "line_count", "prepared_by", "approved_by")
    list_filter = ("state", "month")


@admin.register(PayoutLine)
class PayoutLineAdmin(ReadOnlyAdmin):
    list_display = ("run", "employee_no", "name", "total", "rule_version_label", "adjusts_month")
    search_fields = ("employee_no", "name")


@admin.register(Target, TeamSatisfaction, SpecialAward)
class EntryAdmin(ReadOnlyAdmin):
    pass
