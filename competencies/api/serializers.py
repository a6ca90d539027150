"""API shapes of competencies, checklists, sign-offs and tech-check-tech logs."""

from __future__ import annotations

from rest_framework import serializers

from careerladder.core.api import person_name
from competencies.models import ChecklistItem, Competency, SignOff, TctValidationLog
from technicians.models import Technician


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
        return person_name(obj.evaluator)

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
