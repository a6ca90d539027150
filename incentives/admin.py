"""Django admin of incentive programmes and incentives (history read-only)."""

from django.contrib import admin

from careerladder.core.admin import ReadOnlyHistoryAdmin
from incentives.models import Incentive, IncentiveProgram


@admin.register(IncentiveProgram)
class IncentiveProgramAdmin(ReadOnlyHistoryAdmin):
    list_display = ["code", "name", "kind", "trigger", "amount", "active", "effective_from"]
    list_filter = ["kind", "trigger", "active"]


@admin.register(Incentive)
class IncentiveAdmin(ReadOnlyHistoryAdmin):
    list_display = ["technician", "program", "eligible_on", "status", "awarded_on"]
    list_filter = ["status", "program"]
    raw_id_fields = ["technician", "awarded_by"]
    list_select_related = ["technician", "program"]
