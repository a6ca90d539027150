from django.contrib import admin

from careerladder.core.admin import ReadOnlyHistoryAdmin
from competencies.models import ChecklistItem, Competency, CompetencyRound, SignOff, TctValidationLog
from tiers.models import Evaluation, Promotion, Tier, TierAssignment
from tracks.models import Enrolment, LeadershipHourLog, MentoringMeeting, Track, TrackPosition


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


class ChecklistItemInline(admin.TabularInline):
    model = ChecklistItem
    extra = 0
    fields = ["position", "text", "measure", "max_cfu", "passes_required", "initial_only", "active"]


@admin.register(Competency)
class CompetencyAdmin(ReadOnlyHistoryAdmin):
    list_display = ["code", "name", "category", "revalidation_months", "usp797_kind", "active"]
    list_filter = ["category", "active"]
    search_fields = ["code", "name"]
    inlines = [ChecklistItemInline]


@admin.register(CompetencyRound)
class CompetencyRoundAdmin(ReadOnlyHistoryAdmin):
    list_display = ["technician", "competency", "number", "started_on", "achieved_on", "expires_on"]
    list_filter = ["competency"]
    raw_id_fields = ["technician"]
    list_select_related = ["technician", "competency"]


@admin.register(SignOff)
class SignOffAdmin(ReadOnlyHistoryAdmin):
    """Corrections to sign-offs happen here, with history; the app itself never edits them."""

    list_display = ["technician", "item", "signed_on", "method", "result", "measurement", "evaluator"]
    list_filter = ["method", "result", "item__competency"]
    raw_id_fields = ["technician", "round", "item", "evaluator", "evaluator_technician"]
    list_select_related = ["technician", "item", "evaluator"]


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


class TrackPositionInline(admin.StackedInline):
    model = TrackPosition
    extra = 0
    filter_horizontal = ["required_competencies", "required_certifications"]


@admin.register(Track)
class TrackAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind"]
    inlines = [TrackPositionInline]


@admin.register(Enrolment)
class EnrolmentAdmin(ReadOnlyHistoryAdmin):
    list_display = ["technician", "track", "position", "enrolled_on", "status"]
    list_filter = ["track", "status"]
    raw_id_fields = ["technician", "enrolled_by"]


@admin.register(TctValidationLog)
class TctValidationLogAdmin(admin.ModelAdmin):
    list_display = ["technician", "checked_on", "verifications", "errors", "audited_by"]
    raw_id_fields = ["technician", "audited_by"]


@admin.register(LeadershipHourLog)
class LeadershipHourLogAdmin(admin.ModelAdmin):
    list_display = ["technician", "kind", "worked_on", "hours"]
    list_filter = ["kind"]
    raw_id_fields = ["technician", "recorded_by"]


@admin.register(MentoringMeeting)
class MentoringMeetingAdmin(admin.ModelAdmin):
    list_display = ["mentee", "mentor", "met_on", "minutes"]
    raw_id_fields = ["mentee", "mentor", "recorded_by"]
