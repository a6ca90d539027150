from rest_framework import serializers

from tiers.models import Tier, TierAssignment


class TierRequirementsSerializer(serializers.Serializer):
    min_evaluation_average = serializers.DecimalField(max_digits=3, decimal_places=2, allow_null=True)
    min_months_in_prior_tier = serializers.IntegerField(allow_null=True)


class TierSerializer(serializers.ModelSerializer):
    requirements = TierRequirementsSerializer(source="*", read_only=True)

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
            "requirements",
        ]


class TierAssignmentSerializer(serializers.ModelSerializer):
    tier = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = TierAssignment
        fields = ["id", "technician", "tier", "start_date", "end_date", "reason", "note"]
