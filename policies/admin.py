from django.contrib import admin

from policies.models import (
    Branch,
    Customer,
    ImportBatch,
    Insurer,
    Policy,
    RetainedCustomer,
    Staff,
    Vehicle,
    VehicleTerm,
)


@admin.register(Branch)
class BranchAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "city", "programme_start", "perks_start", "free_washes", "advance_days"]
    search_fields = ["code", "name"]


@admin.register(Staff)
class StaffAdmin(admin.ModelAdmin):
    list_display = ["employee_no", "name", "branch", "team", "is_team_leader", "active"]
    list_filter = ["branch", "active"]
    search_fields = ["employee_no", "name"]
    raw_id_fields = ["user"]


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["name", "masked_mobile", "id_masked", "sms_consent"]
    search_fields = ["name", "mobile_last4"]
    exclude = ["id_hash"]
    readonly_fields = ["id_masked"]


@admin.register(Vehicle)
class VehicleAdmin(admin.ModelAdmin):
    list_display = ["vin", "plate", "model_name", "new_energy"]
    search_fields = ["vin", "plate"]
    raw_id_fields = ["owner"]


@admin.register(Insurer)
class InsurerAdmin(admin.ModelAdmin):
    search_fields = ["name"]


@admin.register(Policy)
class PolicyAdmin(admin.ModelAdmin):
    list_display = ["policy_no", "insurer", "kind", "branch", "vehicle", "start_on", "end_on", "premium", "channel"]
    list_filter = ["kind", "channel", "branch"]
    search_fields = ["policy_no", "vehicle__vin", "vehicle__plate"]
    raw_id_fields = ["vehicle", "term", "insured", "callback", "seller", "lead", "follow_up"]


@admin.register(VehicleTerm)
class VehicleTermAdmin(admin.ModelAdmin):
    list_display = ["vehicle", "branch", "t_date", "signed_on", "channel", "renewal_kind", "full_cover"]
    list_filter = ["branch", "renewal_kind", "channel"]
    raw_id_fields = ["vehicle", "owner", "callback", "seller", "lead", "follow_up", "previous_term"]

    def has_change_permission(self, request, obj=None):
        return False  # derived from the term's policies by policies.services.refresh_term


@admin.register(RetainedCustomer)
class RetainedCustomerAdmin(admin.ModelAdmin):
    list_display = ["vehicle", "branch", "customer", "expected_end", "previous_insurer"]
    raw_id_fields = ["vehicle", "customer", "follow_up"]


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    list_display = ["original_name", "state", "dry_run", "uploaded_by", "created_at"]
    readonly_fields = [f.name for f in ImportBatch._meta.fields]
