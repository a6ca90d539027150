from django.contrib import admin

from careerladder.core.admin import ReadOnlyHistoryAdmin
from certifications.models import (
    Attestation,
    CECredit,
    Certification,
    CertificationType,
    OrgPolicy,
    PracticeTest,
    PtcbExtension,
)


@admin.register(OrgPolicy)
class OrgPolicyAdmin(ReadOnlyHistoryAdmin):
    list_display = ["ptcb_window_months", "practice_pass_mark", "expiring_days", "updated_at"]

    def has_add_permission(self, request):
        return not OrgPolicy.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CertificationType)
class CertificationTypeAdmin(ReadOnlyHistoryAdmin):
    list_display = ["code", "name", "category", "validity_months", "ce_hours_required", "requires"]
    list_filter = ["category"]
    search_fields = ["code", "name"]


@admin.register(Certification)
class CertificationAdmin(ReadOnlyHistoryAdmin):
    list_display = ["technician", "type", "number", "issued_on", "expires_on", "verified_at", "self_reported"]
    list_filter = ["type", "self_reported"]
    search_fields = ["technician__last_name", "technician__employee_id", "number"]
    raw_id_fields = ["technician", "verified_by", "recorded_by", "rejected_by"]
    list_select_related = ["technician", "type"]


@admin.register(PtcbExtension)
class PtcbExtensionAdmin(ReadOnlyHistoryAdmin):
    """Extensions are never edited or deleted (a correction is a new grant, which governs):
    the admin lists and shows them only, so the stored deadline on the technician
    (``Technician.ptcb_extended_to``) always matches the latest grant."""

    list_display = ["technician", "extended_to", "granted_on", "granted_by"]
    raw_id_fields = ["technician", "granted_by"]
    list_select_related = ["technician", "granted_by"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PracticeTest)
class PracticeTestAdmin(admin.ModelAdmin):
    list_display = ["technician", "taken_on", "source", "score"]
    raw_id_fields = ["technician", "recorded_by"]
    list_select_related = ["technician"]


@admin.register(CECredit)
class CECreditAdmin(ReadOnlyHistoryAdmin):
    list_display = ["technician", "completed_on", "uan", "topic", "audience", "hours"]
    list_filter = ["topic", "audience", "activity_type"]
    search_fields = ["uan", "title", "technician__last_name"]
    raw_id_fields = ["technician", "recorded_by"]
    list_select_related = ["technician"]


@admin.register(Attestation)
class AttestationAdmin(ReadOnlyHistoryAdmin):
    list_display = ["certification", "attested_on", "supervisor_name"]
    raw_id_fields = ["certification", "recorded_by"]
