"""Input and output shapes of the ladder API (PRODUCT.md section 4 names are a contract).

Rules live in ``tiers.services``: serializers here only parse input and shape output."""

from __future__ import annotations

from rest_framework import serializers

from careerladder.core.api import person_name
from certifications.models import CertificationType
from competencies.models import Competency
from technicians.models import Technician
from tiers.models import RUBRIC, Evaluation, Promotion, Tier, TierAssignment


class TierRequirementsSerializer(serializers.Serializer):
    min_evaluation_average = serializers.DecimalField(max_digits=3, decimal_places=2, allow_null=True)
    min_months_in_prior_tier = serializers.IntegerField(allow_null=True)
    required_competencies = serializers.SerializerMethodField()
    specialty_competencies = serializers.SerializerMethodField()
    min_specialty_competencies = serializers.IntegerField()
    required_certifications = serializers.SerializerMethodField()

    def get_required_competencies(self, tier) -> list[str]:
        return [c.code for c in tier.required_competencies.all()]

    def get_specialty_competencies(self, tier) -> list[str]:
        return [c.code for c in tier.specialty_competencies.all()]

    def get_required_certifications(self, tier) -> list[str]:
        return [c.code for c in tier.required_certifications.all()]


class TierSerializer(serializers.ModelSerializer):
    """A tier and what promotion into it asks for. Hr changes requirements by code:
    ``required_competencies``, ``specialty_competencies`` (with ``min_specialty_competencies``)
    and ``required_certifications``."""

    requirements = TierRequirementsSerializer(source="*", read_only=True)
    required_competencies = serializers.SlugRelatedField(
        slug_field="code", many=True, required=False, queryset=Competency.objects.all()
    )
    specialty_competencies = serializers.SlugRelatedField(
        slug_field="code", many=True, required=False, queryset=Competency.objects.all()
    )
    required_certifications = serializers.SlugRelatedField(
        slug_field="code", many=True, required=False, queryset=CertificationType.objects.all()
    )

    class Meta:
        model = Tier
        fields = [
            "id",
            "code",
            "name",
            "rank",
            "expected_months",
            "duties",
            "min_evaluation_average",
            "min_months_in_prior_tier",
            "required_competencies",
            "specialty_competencies",
            "min_specialty_competencies",
            "required_certifications",
            "requirements",
        ]
        extra_kwargs = {"rank": {"min_value": 1}}  # the ladder starts at 1 (tier_rank_positive)


class TierAssignmentSerializer(serializers.ModelSerializer):
    tier = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = TierAssignment
        fields = ["id", "technician", "tier", "start_date", "end_date", "reason", "note"]


# ---------------------------------------------------------------------------------------------
# Competencies
# ---------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------
# Sign-offs and TCT logs
# ---------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------
# Evaluations
# ---------------------------------------------------------------------------------------------


class EvaluationSerializer(serializers.ModelSerializer):
    """A monthly evaluation: each rubric criterion 1-5; ``overall`` is their mean. ``month`` is
    a date in the month evaluated (stored as its first day)."""

    technician = serializers.PrimaryKeyRelatedField(queryset=Technician.objects.none())
    evaluator = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = Evaluation
        fields = [
            "id",
            "technician",
            "month",
            *RUBRIC,
            "overall",
            "comments",
            "evaluator",
            "acknowledged_at",
            "technician_comment",
        ]
        read_only_fields = ["overall", "acknowledged_at", "technician_comment"]
        validators: list = []  # one per month is the service's rule, answered under "month"

    def __init__(self, *args, technician_queryset=None, **kwargs):
        super().__init__(*args, **kwargs)
        if technician_queryset is not None:
            self.fields["technician"].queryset = technician_queryset
        if self.instance is not None and not isinstance(self.instance, list | tuple) and hasattr(self.instance, "pk"):
            self.fields["technician"].read_only = True
            self.fields["month"].read_only = True


class AcknowledgeSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000)


# ---------------------------------------------------------------------------------------------
# Promotions
# ---------------------------------------------------------------------------------------------


class MissingSerializer(serializers.Serializer):
    kind = serializers.CharField()
    code = serializers.CharField()
    detail = serializers.CharField()


class PromotionSerializer(serializers.ModelSerializer):
    """A promotion request. ``to_tier`` defaults to the next tier; ``justification`` is hr's
    written reason for approving an ineligible request (sent to ``approve/``). ``eligible`` and
    ``missing`` are computed now for pending requests (null once decided)."""

    technician = serializers.PrimaryKeyRelatedField(queryset=Technician.objects.none())
    technician_name = serializers.CharField(source="technician.full_name", read_only=True)
    from_tier = serializers.SlugRelatedField(slug_field="code", read_only=True)
    to_tier = serializers.SlugRelatedField(slug_field="code", queryset=Tier.objects.all(), required=False)
    nominated_by = serializers.PrimaryKeyRelatedField(read_only=True)
    nominated_by_name = serializers.SerializerMethodField()
    decided_by = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    decided_by_name = serializers.SerializerMethodField(help_text="Who approved or rejected it.")
    eligible = serializers.SerializerMethodField()
    missing = serializers.SerializerMethodField()

    class Meta:
        model = Promotion
        fields = [
            "id",
            "technician",
            "technician_name",
            "from_tier",
            "to_tier",
            "effective_date",
            "status",
            "note",
            "justification",
            "rejection_reason",
            "nominated_by",
            "nominated_by_name",
            "decided_by",
            "decided_by_name",
            "decided_at",
            "eligible_at_decision",
            "eligible",
            "missing",
            "created_at",
        ]
        read_only_fields = [
            "status",
            "justification",
            "rejection_reason",
            "decided_at",
            "eligible_at_decision",
            "created_at",
        ]
        validators: list = []  # one pending request per technician: the service answers it

    def __init__(self, *args, technician_queryset=None, **kwargs):
        super().__init__(*args, **kwargs)
        if technician_queryset is not None:
            self.fields["technician"].queryset = technician_queryset

    def get_nominated_by_name(self, obj) -> str:
        return person_name(obj.nominated_by)

    def get_decided_by_name(self, obj) -> str | None:
        return person_name(obj.decided_by) if obj.decided_by_id else None

    def _standing(self, obj):
        if obj.status != Promotion.Status.PENDING:
            return None
        return self.context.get("standings", {}).get(obj.technician_id)

    def get_eligible(self, obj) -> bool | None:
        standing = self._standing(obj)
        return None if standing is None else standing.eligible

    @staticmethod
    def _missing_fields(entries):
        return [{k: m[k] for k in ("kind", "code", "detail")} for m in entries]

    def get_missing(self, obj) -> list[dict] | None:
        standing = self._standing(obj)
        return None if standing is None else self._missing_fields(standing.missing)


class ApproveSerializer(serializers.Serializer):
    justification = serializers.CharField(
        required=False, allow_blank=True, max_length=4000, help_text="Hr's reason for approving an ineligible request."
    )


class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


# ---------------------------------------------------------------------------------------------
# Tracks and enrolments
# ---------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------
# The ladder part of technicians/{id}/progress/
# ---------------------------------------------------------------------------------------------
