from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from tiers.models import Tier, TierAssignment


@admin.register(Tier)
class TierAdmin(SimpleHistoryAdmin):
    list_display = ["rank", "code", "name", "expected_months", "min_evaluation_average", "min_months_in_prior_tier"]
    ordering = ["rank"]


@admin.register(TierAssignment)
class TierAssignmentAdmin(SimpleHistoryAdmin):
    list_display = ["technician", "tier", "start_date", "end_date", "reason"]
    list_filter = ["tier", "reason"]
    raw_id_fields = ["technician", "recorded_by"]
    list_select_related = ["technician", "tier"]
