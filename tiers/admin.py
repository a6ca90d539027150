"""Django admin of the ladder, tier assignments, evaluations and promotions (history read-only)."""

from django.contrib import admin

from careerladder.core.admin import ReadOnlyHistoryAdmin
from tiers.models import Evaluation, Promotion, Tier, TierAssignment


@admin.register(Tier)
class TierAdmin(ReadOnlyHistoryAdmin):
    list_display = ["rank", "code", "name", "expected_months", "min_evaluation_average", "min_months_in_prior_tier"]
    ordering = ["rank"]
    filter_horizontal = ["required_competencies", "specialty_competencies", "required_certifications"]


@admin.register(TierAssignment)
class TierAssignmentAdmin(ReadOnlyHistoryAdmin):
    list_display = ["technician", "tier", "start_date", "end_date", "reason"]
    list_filter = ["tier", "reason"]
    raw_id_fields = ["technician", "recorded_by"]
    list_select_related = ["technician", "tier"]


@admin.register(Evaluation)
class EvaluationAdmin(ReadOnlyHistoryAdmin):
    list_display = ["technician", "month", "overall", "evaluator", "acknowledged_at"]
    raw_id_fields = ["technician", "evaluator"]
    list_select_related = ["technician", "evaluator"]


@admin.register(Promotion)
class PromotionAdmin(ReadOnlyHistoryAdmin):
    list_display = ["technician", "from_tier", "to_tier", "effective_date", "status", "decided_by"]
    list_filter = ["status", "to_tier"]
    raw_id_fields = ["technician", "nominated_by", "decided_by", "tier_assignment"]
    list_select_related = ["technician", "from_tier", "to_tier", "decided_by"]
