"""Django admin of competencies, checklists, rounds, sign-offs and tech-check-tech logs (history read-only)."""

from django.contrib import admin

from careerladder.core.admin import ReadOnlyHistoryAdmin
from competencies.models import ChecklistItem, Competency, CompetencyRound, SignOff, TctValidationLog


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
    """Corrections to sign-offs happen here, with history; the app itself never edits them. A new
    sign-off is recorded on the technician's sign-off sheet or through the API, under the rules
    of ``competencies.services.signoff_record_many`` (who may sign, never one's own, the round it
    opens or completes), so the admin adds none."""

    def has_add_permission(self, request):
        return False

    list_display = ["technician", "item", "signed_on", "method", "result", "measurement", "evaluator"]
    list_filter = ["method", "result", "item__competency"]
    raw_id_fields = ["technician", "round", "item", "evaluator", "evaluator_technician"]
    list_select_related = ["technician", "item", "evaluator"]


@admin.register(TctValidationLog)
class TctValidationLogAdmin(admin.ModelAdmin):
    list_display = ["technician", "checked_on", "verifications", "errors", "audited_by"]
    raw_id_fields = ["technician", "audited_by"]
