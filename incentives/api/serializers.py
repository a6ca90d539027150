"""API shapes of incentive programmes, incentives, awards and the trigger check."""

from __future__ import annotations

from rest_framework import serializers

from careerladder.core.validators import plausible_date_field
from incentives.models import Incentive, IncentiveProgram


class IncentiveProgramSerializer(serializers.ModelSerializer):
    class Meta:
        model = IncentiveProgram
        fields = ["id", "code", "name", "kind", "trigger", "amount", "description", "effective_from", "active"]


class IncentiveSerializer(serializers.ModelSerializer):
    program = serializers.SlugRelatedField(slug_field="code", read_only=True)
    program_name = serializers.CharField(source="program.name", read_only=True)
    kind = serializers.CharField(source="program.kind", read_only=True)
    trigger = serializers.CharField(source="program.trigger", read_only=True)
    awarded_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = Incentive
        fields = [
            "id",
            "technician",
            "program",
            "program_name",
            "kind",
            "trigger",
            "trigger_detail",
            "eligible_on",
            "status",
            "awarded_on",
            "awarded_by",
            "amount",
            "note",
        ]
        read_only_fields = fields


class AwardSerializer(serializers.Serializer):
    awarded_on = plausible_date_field(required=False, help_text="Defaults to today.")
    amount = serializers.DecimalField(max_digits=9, decimal_places=2, required=False, allow_null=True, min_value=0)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True)


class IncentiveCheckSerializer(serializers.Serializer):
    created = serializers.IntegerField(help_text="Incentives that became eligible.")
