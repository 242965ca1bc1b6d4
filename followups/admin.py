"""Admin: reminder templates are edited here (DOMAIN.md §1: admins edit reminder templates); the rest is read-only,
because every write of a case goes through followups.services."""

from django.contrib import admin

from followups.models import Case, ReminderDispatch, ReminderMessage, ReminderTemplate


@admin.register(ReminderTemplate)
class ReminderTemplateAdmin(admin.ModelAdmin):
    list_display = ("offset_days", "channel", "provider_template_code", "active", "updated_at")
    list_filter = ("channel", "active")


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = ("pk", "branch", "vehicle", "t_date", "category", "state", "assignee", "handoff_overdue")
    list_filter = ("state", "category", "branch", "handoff_overdue", "late_data")
    list_select_related = ("branch", "vehicle", "assignee")
    search_fields = ("vehicle__plate", "vehicle__vin")


@admin.register(ReminderDispatch)
class ReminderDispatchAdmin(ReadOnlyAdmin):
    list_display = ("pk", "case", "offset_days", "planned_on", "state", "skip_reason")
    list_filter = ("state", "offset_days", "skip_reason")
    list_select_related = ("case__vehicle",)


@admin.register(ReminderMessage)
class ReminderMessageAdmin(ReadOnlyAdmin):
    list_display = ("pk", "masked_phone", "day", "state", "provider_message_id", "error")
    list_filter = ("state", "day")
    exclude = ("phone",)
