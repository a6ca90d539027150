"""Serializers of ``kpis/`` and ``kpi-snapshots/`` (field names: PRODUCT.md sections 3 and 4)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from careerladder.core.errors import ApplicationError
from careerladder.core.validators import plausible_date_field, validate_plausible_date
from metrics import kpis
from metrics.models import KpiSnapshot
from metrics.services import parse_month


class KpiQuerySerializer(serializers.Serializer):
    start = plausible_date_field(help_text="First day of the period, YYYY-MM-DD (inclusive).")
    end = plausible_date_field(help_text="Last day of the period, YYYY-MM-DD (inclusive).")
    site = serializers.IntegerField(required=False, min_value=1, help_text="Site id; the organisation when omitted.")

    def validate(self, attrs):
        if attrs["end"] < attrs["start"]:
            raise serializers.ValidationError({"end": ["The end date is before the start date."]})
        return attrs


class _KpiFields(serializers.Serializer):
    headcount_start = serializers.IntegerField()
    headcount_end = serializers.IntegerField()
    average_headcount = serializers.FloatField()
    voluntary_separations = serializers.IntegerField()
    voluntary_turnover_rate = serializers.FloatField(allow_null=True)
    voluntary_turnover_rate_annualized = serializers.FloatField(
        allow_null=True,
        help_text="Separations ÷ average of start and end headcount, × 100, annualised by days (× 365 / days).",
    )
    voluntary_turnover_rate_monthly_sum = serializers.FloatField(
        allow_null=True,
        help_text=(
            "SHRM monthly method: the sum of the monthly rates, each 100 × the month's voluntary separations ÷ "
            "its average headcount (first and last day); months are clipped to the period; null when every "
            "month's average headcount is 0. On snapshots computed before this figure existed: null."
        ),
    )
    promotions = serializers.IntegerField()
    promotion_rate = serializers.FloatField(allow_null=True)
    median_months_to_promotion = serializers.FloatField(allow_null=True)
    stalled = serializers.IntegerField()
    training_due = serializers.IntegerField()
    training_completed = serializers.IntegerField()
    training_on_time = serializers.IntegerField(help_text="Completed on or before the due date.")
    training_completion_rate = serializers.FloatField(allow_null=True)
    training_on_time_rate = serializers.FloatField(allow_null=True)
    ptcb_due = serializers.IntegerField()
    ptcb_met = serializers.IntegerField()
    ptcb_on_time_rate = serializers.FloatField(allow_null=True)


assert set(_KpiFields().fields) == set(kpis.KPI_FIELDS)  # one list of names, checked at import


class KpiSerializer(_KpiFields):
    """Every KPI of section 3 for the period, computed now."""

    start = serializers.DateField()
    end = serializers.DateField()
    scope = serializers.ChoiceField(choices=["organisation", "site", "sites"])
    site = serializers.IntegerField(allow_null=True, help_text="The site, when the scope is one site.")
    sites = serializers.ListField(child=serializers.IntegerField(), help_text="Sites combined (a manager's own).")


class KpiSnapshotQuerySerializer(serializers.Serializer):
    site = serializers.IntegerField(required=False, min_value=1)
    month = serializers.CharField(required=False, max_length=7, help_text="YYYY-MM")
    scope = serializers.ChoiceField(
        choices=["organisation", "site"], required=False, help_text="Only the organisation's rows, or only sites'."
    )

    def validate_month(self, value):
        try:
            month = parse_month(value)
        except ApplicationError as exc:
            raise serializers.ValidationError(exc.message) from None
        validate_plausible_date(month)
        return month


@extend_schema_field({"type": "string", "pattern": r"^\d{4}-(0[1-9]|1[0-2])$", "example": "2025-03"})
class MonthField(serializers.DateField):
    """A month as ``YYYY-MM`` (stored as its first day), documented as such, not as a date."""

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m", **kwargs)


class KpiSnapshotSerializer(serializers.ModelSerializer):
    month = MonthField(help_text="YYYY-MM")
    site_code = serializers.CharField(source="site.code", allow_null=True, default=None, read_only=True)

    class Meta:
        model = KpiSnapshot
        fields = ["id", "site", "site_code", "month", "period_start", "period_end", *kpis.KPI_FIELDS, "computed_at"]
        read_only_fields = fields
