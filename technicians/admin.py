from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from careerladder.core.admin import ReadOnlyHistoryAdmin
from technicians.models import Site, Technician, User
from tiers.models import TierAssignment


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "state"]
    list_filter = ["kind", "state"]
    search_fields = ["code", "name"]


class TierAssignmentInline(admin.TabularInline):
    model = TierAssignment
    fk_name = "technician"
    extra = 0
    fields = ["tier", "start_date", "end_date", "reason", "note"]


@admin.register(Technician)
class TechnicianAdmin(ReadOnlyHistoryAdmin):
    list_display = ["employee_id", "last_name", "first_name", "site", "status", "hire_date", "termination_date"]
    list_filter = ["status", "termination_type", "site__kind"]
    search_fields = ["employee_id", "last_name", "first_name", "email"]
    list_select_related = ["site"]
    raw_id_fields = ["site", "mentor"]
    inlines = [TierAssignmentInline]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "role", "technician", "is_active", "last_login"]
    list_filter = ["role", "is_active"]
    raw_id_fields = ["technician"]
    filter_horizontal = ["sites", "groups", "user_permissions"]
    fieldsets = (*DjangoUserAdmin.fieldsets, ("CareerLadder", {"fields": ("role", "technician", "sites")}))
