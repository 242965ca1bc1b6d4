"""Admin: the ledger and the entitlements are read-only (every change goes through perks/services);
admins keep the unit-cost table."""

from django.contrib import admin

from perks.models import Entitlement, LedgerEntry, OilDecision, OilRequest, RepairBill, RescueLog, UnitCost


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ["recorded_at", "entry_type", "kind", "vehicle", "branch", "quantity", "amount", "cost",
                    "unrecovered", "recorded_by"]  # fmt: skip
    list_filter = ["entry_type", "kind", "branch", "unrecovered"]
    search_fields = ["vehicle__vin", "vehicle__plate"]
    date_hierarchy = "occurred_on"


@admin.register(Entitlement)
class EntitlementAdmin(ReadOnlyAdmin):
    list_display = ["kind", "vehicle", "branch", "status", "face_value", "quantity", "valid_from", "valid_until"]
    list_filter = ["kind", "status", "branch"]
    search_fields = ["vehicle__vin", "vehicle__plate"]


@admin.register(OilRequest)
class OilRequestAdmin(ReadOnlyAdmin):
    list_display = ["term", "branch", "requester", "buckets", "for_next_term", "status", "created_at"]
    list_filter = ["status", "branch"]


@admin.register(OilDecision)
class OilDecisionAdmin(ReadOnlyAdmin):
    list_display = ["request", "approver", "outcome", "total_after", "decided_at"]


@admin.register(RescueLog)
class RescueLogAdmin(ReadOnlyAdmin):
    list_display = ["term", "city", "free", "note", "occurred_on"]


@admin.register(RepairBill)
class RepairBillAdmin(ReadOnlyAdmin):
    list_display = ["vehicle", "order_no", "opened_on", "list_total", "total", "choice", "card_discount"]


@admin.register(UnitCost)
class UnitCostAdmin(admin.ModelAdmin):
    list_display = ["item", "branch", "amount", "effective_from"]
    list_filter = ["item", "branch"]

    def has_delete_permission(self, request, obj=None):
        return False  # effective-dated: supersede with a new row instead

    def get_readonly_fields(self, request, obj=None):
        # A cost once in force may have been used: change it by adding a row with a later date.
        return ["branch", "item", "amount", "effective_from"] if obj else []
