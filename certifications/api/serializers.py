"""Input and output shapes of the certification API. Rules live in ``certifications.services``."""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from careerladder.core.validators import MAX_CE_ACTIVITY_HOURS, plausible_date_field
from certifications.models import (
    Attestation,
    CECredit,
    Certification,
    CertificationType,
    OrgPolicy,
    PracticeTest,
    PtcbExtension,
)
from certifications.selectors import CertificationStatus
from technicians.models import Technician


def _absolute(request, url: str) -> str:
    return request.build_absolute_uri(url) if request is not None else url


class TechnicianOwnedSerializer(serializers.ModelSerializer):
    """``technician`` is chosen among the technicians the caller can see; a technician's own
    login may leave it out (it defaults to their own record). It never changes afterwards."""

    technician = serializers.PrimaryKeyRelatedField(
        queryset=Technician.objects.none(),
        required=False,
        help_text="Technician id; defaults to your own record when your login is linked to one.",
    )

    def __init__(self, *args, technician_queryset=None, **kwargs):
        super().__init__(*args, **kwargs)
        if technician_queryset is not None:
            self.fields["technician"].queryset = technician_queryset

    def validate(self, attrs):
        if self.instance is not None:
            attrs.pop("technician", None)
            return attrs
        if "technician" not in attrs:
            user = self.context["request"].user
            own = getattr(user, "technician", None) if getattr(user, "technician_id", None) else None
            if own is None:
                raise serializers.ValidationError({"technician": "This field is required."})
            attrs["technician"] = own
        return attrs


class EvidenceUrlMixin(serializers.Serializer):
    evidence_url_name = ""

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_evidence_url(self, obj) -> str | None:
        if not obj.evidence:
            return None
        return _absolute(self.context.get("request"), reverse(self.evidence_url_name, args=[obj.pk]))


# --- Types and policy -----------------------------------------------------------------------


class CertificationTypeSerializer(serializers.ModelSerializer):
    requires = serializers.SlugRelatedField(
        slug_field="code",
        queryset=CertificationType.objects.all(),
        required=False,
        allow_null=True,
        help_text="Code of a certification that must be active to hold this one (e.g. CPHT).",
    )

    class Meta:
        model = CertificationType
        fields = [
            "id",
            "code",
            "name",
            "issuing_body",
            "category",
            "validity_months",
            "requires",
            "state",
            "ce_hours_required",
            "min_law_hours",
            "min_patient_safety_hours",
            "min_technician_hours",
            "max_pharmacist_hours",
            "renewal_window_opens_days",
            "renewal_due_days",
            "requires_attestation",
            "renewal_notes",
        ]
        validators: list = []


class PolicySerializer(serializers.ModelSerializer):
    class Meta:
        model = OrgPolicy
        fields = ["ptcb_window_months", "practice_pass_mark", "expiring_days", "updated_at"]
        read_only_fields = ["updated_at"]


# --- Held certifications --------------------------------------------------------------------


class CertificationSerializer(EvidenceUrlMixin, TechnicianOwnedSerializer):
    evidence_url_name = "certifications:certification-evidence"

    type = serializers.SlugRelatedField(
        slug_field="code", queryset=CertificationType.objects.all(), help_text="Certification type code, e.g. CPHT."
    )
    expires_on = plausible_date_field(
        required=False, allow_null=True, help_text="Defaults to the issue date plus the type's validity."
    )
    status = serializers.ChoiceField(choices=CertificationStatus.CHOICES, read_only=True)
    verified = serializers.BooleanField(read_only=True)
    verified_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    rejected_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    evidence = serializers.FileField(
        write_only=True, required=False, help_text="PDF, PNG or JPEG, up to 5 MB (checked by content)."
    )
    evidence_url = serializers.SerializerMethodField()

    class Meta:
        model = Certification
        fields = [
            "id",
            "technician",
            "type",
            "number",
            "issued_on",
            "expires_on",
            "status",
            "verified",
            "verified_at",
            "verified_by",
            "self_reported",
            "rejected_at",
            "rejected_by",
            "rejection_reason",
            "evidence",
            "evidence_url",
            "created_at",
        ]
        read_only_fields = ["verified_at", "self_reported", "rejected_at", "rejection_reason", "created_at"]
        validators: list = []


class CertificationRejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, help_text="Why the record cannot be verified as it stands.")


class AttestationSerializer(EvidenceUrlMixin, serializers.ModelSerializer):
    evidence_url_name = "certifications:attestation-evidence"

    certification = serializers.PrimaryKeyRelatedField(queryset=Certification.objects.none())
    recorded_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    evidence = serializers.FileField(write_only=True, required=False)
    evidence_url = serializers.SerializerMethodField()

    class Meta:
        model = Attestation
        fields = [
            "id",
            "certification",
            "attested_on",
            "supervisor_name",
            "supervisor_title",
            "supervisor_qualification",
            "notes",
            "evidence",
            "evidence_url",
            "recorded_by",
            "created_at",
        ]
        read_only_fields = ["created_at"]

    def __init__(self, *args, certification_queryset=None, **kwargs):
        super().__init__(*args, **kwargs)
        if certification_queryset is not None:
            self.fields["certification"].queryset = certification_queryset


class PtcbExtensionSerializer(TechnicianOwnedSerializer):
    granted_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = PtcbExtension
        fields = ["id", "technician", "extended_to", "reason", "granted_on", "granted_by", "created_at"]
        read_only_fields = ["granted_on", "created_at"]


# --- Practice tests and CE ----------------------------------------------------------------


class DomainScoresSerializer(serializers.Serializer):
    """Percent per PTCE knowledge domain, 0-100."""

    medications = serializers.IntegerField(min_value=0, max_value=100, help_text="Medications.")
    federal_requirements = serializers.IntegerField(min_value=0, max_value=100, help_text="Federal Requirements.")
    patient_safety = serializers.IntegerField(
        min_value=0, max_value=100, help_text="Patient Safety and Quality Assurance."
    )
    order_entry = serializers.IntegerField(min_value=0, max_value=100, help_text="Order Entry and Processing.")


class PracticeTestSerializer(TechnicianOwnedSerializer):
    score = serializers.IntegerField(min_value=0, max_value=100, help_text="Overall score, percent.")
    domain_scores = DomainScoresSerializer()

    class Meta:
        model = PracticeTest
        fields = ["id", "technician", "taken_on", "source", "score", "domain_scores", "created_at"]
        read_only_fields = ["created_at"]


class CECreditSerializer(EvidenceUrlMixin, TechnicianOwnedSerializer):
    evidence_url_name = "certifications:ce-credit-evidence"

    source = serializers.ChoiceField(
        choices=CECredit.Source.choices,
        default=CECredit.Source.ACPE,
        help_text="acpe (with a UAN), college (a college course, counted up to the rule's cap) or non_acpe; "
        "CE without a UAN needs its proof of completion as evidence and counts once verified.",
    )
    uan = serializers.CharField(
        max_length=40,
        required=False,
        allow_blank=True,
        help_text="ACPE universal activity number, e.g. 0145-0000-25-012-H03-T (ACPE CE only).",
    )
    hours = serializers.DecimalField(
        max_digits=4,
        decimal_places=2,
        coerce_to_string=False,
        min_value=Decimal("0.01"),
        max_value=MAX_CE_ACTIVITY_HOURS,
        help_text=f"Contact hours, more than 0 and at most {MAX_CE_ACTIVITY_HOURS:g}.",
    )
    topic = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=2,
        help_text="ACPE topic designator read from the UAN (03 = law); for CE without a UAN chosen: "
        "'' general pharmacy, 03 law, 05 patient safety, 07 compounding.",
    )
    verified = serializers.SerializerMethodField(help_text="CE without a UAN counts once a manager verified it.")
    topic_name = serializers.SerializerMethodField()
    audience = serializers.ChoiceField(
        choices=CECredit.Audience.choices, read_only=True, help_text="Read from the UAN: T technician, P pharmacist."
    )
    activity_type = serializers.ChoiceField(choices=CECredit.ActivityType.choices, read_only=True)
    evidence = serializers.FileField(write_only=True, required=False)
    evidence_url = serializers.SerializerMethodField()

    class Meta:
        model = CECredit
        fields = [
            "id",
            "technician",
            "completed_on",
            "title",
            "provider",
            "uan",
            "hours",
            "topic",
            "topic_name",
            "audience",
            "activity_type",
            "source",
            "verified",
            "evidence",
            "evidence_url",
            "created_at",
        ]
        read_only_fields = ["created_at"]
        validators: list = []

    def get_topic_name(self, obj) -> str:
        return obj.topic_name

    def get_verified(self, obj) -> bool:
        return obj.counted


# --- Incentives -------------------------------------------------------------------------------
