"""Input and output shapes of the ladder API (PRODUCT.md section 4 names are a contract).

Rules live in ``tiers.services``: serializers here only parse input and shape output."""

from __future__ import annotations

from rest_framework import serializers

from careerladder.core.validators import plausible_date_field
from certifications.models import CertificationType
from competencies.models import ChecklistItem, Competency, SignOff, TctValidationLog
from technicians.models import Technician
from tiers.models import RUBRIC, Evaluation, Promotion, Tier, TierAssignment
from tracks.models import Enrolment, LeadershipHourLog, MentoringMeeting, Track, TrackPosition


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


class ChecklistItemSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(
        required=False, help_text="Give it to change an existing item; leave out for a new one."
    )

    class Meta:
        model = ChecklistItem
        fields = [
            "id",
            "text",
            "measure",
            "max_cfu",
            "passes_required",
            "initial_only",
            "tct_min_checks",
            "tct_min_days",
            "tct_min_accuracy",
        ]

    def validate(self, attrs):
        # ``items`` is always the whole checklist, so every item needs its text, in a PATCH too
        # (where DRF would otherwise make the nested fields optional).
        if "text" not in attrs:
            raise serializers.ValidationError({"text": [serializers.Field.default_error_messages["required"]]})
        return attrs


class CompetencySerializer(serializers.ModelSerializer):
    """A competency and its checklist. Writing ``items`` replaces the checklist: items kept by
    ``id`` are updated, new ones added, left-out ones retired (their sign-offs stay)."""

    items = ChecklistItemSerializer(many=True, required=False)

    class Meta:
        model = Competency
        fields = [
            "id",
            "code",
            "name",
            "category",
            "description",
            "revalidation_months",
            "usp797_kind",
            "active",
            "items",
        ]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        # Retired items keep their sign-offs but are no longer part of the checklist.
        data["items"] = ChecklistItemSerializer([i for i in instance.items.all() if i.active], many=True).data
        return data


# ---------------------------------------------------------------------------------------------
# Sign-offs and TCT logs
# ---------------------------------------------------------------------------------------------


def _person(user) -> str:
    """A login as people know it: full name, else the login name."""
    return user.get_full_name() or user.username


class SignOffSerializer(serializers.ModelSerializer):
    """One sign-off. ``evaluator`` is the signing login (read-only). ``result`` is derived for
    measured items: give ``measurement`` (CFU) instead."""

    technician = serializers.PrimaryKeyRelatedField(queryset=Technician.objects.none())
    item = serializers.PrimaryKeyRelatedField(queryset=ChecklistItem.objects.select_related("competency"))
    result = serializers.ChoiceField(choices=SignOff.Result.choices, required=False)
    competency = serializers.CharField(source="item.competency.code", read_only=True)
    round = serializers.IntegerField(source="round.number", read_only=True)
    evaluator = serializers.PrimaryKeyRelatedField(read_only=True)
    evaluator_name = serializers.SerializerMethodField(help_text="Who signed: the evaluator's full name.")

    class Meta:
        model = SignOff
        fields = [
            "id",
            "technician",
            "item",
            "competency",
            "round",
            "signed_on",
            "method",
            "result",
            "measurement",
            "comment",
            "evaluator",
            "evaluator_name",
            "created_at",
        ]
        read_only_fields = ["created_at"]

    def get_evaluator_name(self, obj) -> str:
        return _person(obj.evaluator)

    def __init__(self, *args, technician_queryset=None, **kwargs):
        super().__init__(*args, **kwargs)
        if technician_queryset is not None:
            self.fields["technician"].queryset = technician_queryset


class TctLogSerializer(serializers.ModelSerializer):
    technician = serializers.PrimaryKeyRelatedField(queryset=Technician.objects.none())
    audited_by = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = TctValidationLog
        fields = ["id", "technician", "checked_on", "verifications", "errors", "note", "audited_by"]

    def __init__(self, *args, technician_queryset=None, **kwargs):
        super().__init__(*args, **kwargs)
        if technician_queryset is not None:
            self.fields["technician"].queryset = technician_queryset


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
        return _person(obj.nominated_by)

    def get_decided_by_name(self, obj) -> str | None:
        return _person(obj.decided_by) if obj.decided_by_id else None

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


class TrackPositionSerializer(serializers.ModelSerializer):
    min_tier = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    required_competencies = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    required_certifications = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = TrackPosition
        fields = [
            "id",
            "code",
            "name",
            "description",
            "min_tier",
            "required_competencies",
            "required_certifications",
            "min_shadowing_hours",
            "min_leadership_hours",
        ]


class TrackSerializer(serializers.ModelSerializer):
    positions = TrackPositionSerializer(many=True, read_only=True)

    class Meta:
        model = Track
        fields = ["id", "code", "name", "kind", "description", "positions"]


class TrackMissingSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["tier", "competency", "certification", "hours"])
    code = serializers.CharField()
    detail = serializers.CharField()


class EnrolmentSerializer(serializers.ModelSerializer):
    """A technician on a track, aiming at ``position`` (a position code). ``ready`` and
    ``missing`` compare the position's requirements with today's facts."""

    technician = serializers.PrimaryKeyRelatedField(queryset=Technician.objects.none())
    track = serializers.SlugRelatedField(slug_field="code", read_only=True)
    position = serializers.SlugRelatedField(slug_field="code", queryset=TrackPosition.objects.select_related("track"))
    enrolled_on = plausible_date_field(required=False)
    ready = serializers.SerializerMethodField()
    missing = serializers.SerializerMethodField()

    class Meta:
        model = Enrolment
        fields = ["id", "technician", "track", "position", "enrolled_on", "status", "ended_on", "ready", "missing"]
        read_only_fields = ["status", "ended_on"]
        validators: list = []  # one active enrolment per track: the service answers it

    def __init__(self, *args, technician_queryset=None, **kwargs):
        super().__init__(*args, **kwargs)
        if technician_queryset is not None:
            self.fields["technician"].queryset = technician_queryset

    def _progress(self, obj):
        return self.context.get("progress", {}).get(obj.pk)

    def get_ready(self, obj) -> bool | None:
        progress = self._progress(obj)
        return None if progress is None else progress.ready

    def get_missing(self, obj) -> list[dict] | None:
        progress = self._progress(obj)
        return None if progress is None else progress.missing


class LeadershipHoursSerializer(serializers.ModelSerializer):
    technician = serializers.PrimaryKeyRelatedField(queryset=Technician.objects.none())
    recorded_by = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = LeadershipHourLog
        fields = ["id", "technician", "kind", "worked_on", "hours", "activity", "recorded_by"]

    def __init__(self, *args, technician_queryset=None, **kwargs):
        super().__init__(*args, **kwargs)
        if technician_queryset is not None:
            self.fields["technician"].queryset = technician_queryset


class MentoringMeetingSerializer(serializers.ModelSerializer):
    """A mentoring meeting; ``mentor`` is the mentee's mentor at the time (read-only)."""

    mentee = serializers.PrimaryKeyRelatedField(queryset=Technician.objects.none())
    mentor = serializers.PrimaryKeyRelatedField(read_only=True)
    recorded_by = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = MentoringMeeting
        fields = ["id", "mentee", "mentor", "met_on", "minutes", "topics", "notes", "next_steps", "recorded_by"]

    def __init__(self, *args, technician_queryset=None, **kwargs):
        super().__init__(*args, **kwargs)
        if technician_queryset is not None:
            self.fields["mentee"].queryset = technician_queryset


# ---------------------------------------------------------------------------------------------
# The ladder part of technicians/{id}/progress/
# ---------------------------------------------------------------------------------------------


class CompetencyProgressSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    category = serializers.CharField()
    status = serializers.ChoiceField(choices=["achieved", "expiring", "expired", "in_progress", "not_started"])
    achieved_on = serializers.DateField(allow_null=True)
    expires_on = serializers.DateField(allow_null=True)
    items_signed = serializers.IntegerField()
    items_total = serializers.IntegerField()
    items_to_sign = serializers.ListField(child=serializers.CharField())


class TrackProgressSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    track = serializers.CharField()
    position = serializers.CharField()
    position_name = serializers.CharField()
    status = serializers.CharField()
    enrolled_on = serializers.DateField()
    ready = serializers.BooleanField()
    missing = TrackMissingSerializer(many=True)
