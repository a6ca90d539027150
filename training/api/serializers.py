"""Input and output of the training API (field names are the PRODUCT.md contract)."""

from __future__ import annotations

from rest_framework import serializers

from careerladder.core.validators import MAX_DATABASE_ID, plausible_date_field
from technicians.models import Site, Technician
from tiers.models import Tier
from training.models import Program, Rotation, TrainingAssignment


class ProgramSerializer(serializers.ModelSerializer):
    class Meta:
        model = Program
        fields = ["id", "code", "name", "category", "ce_hours", "ce_uan", "description", "active"]

    def validate_ce_hours(self, value):
        if value is not None and value <= 0:
            raise serializers.ValidationError("CE hours are more than 0; leave empty when the programme carries none.")
        return value


class TrainingAssignmentSerializer(serializers.ModelSerializer):
    """``status`` is derived (assigned, in_progress, completed, overdue), never stored."""

    technician = serializers.PrimaryKeyRelatedField(queryset=Technician.objects.none())
    program = serializers.PrimaryKeyRelatedField(queryset=Program.objects.filter(active=True))
    assigned_on = plausible_date_field(required=False)
    status = serializers.ChoiceField(choices=TrainingAssignment.Status.choices, read_only=True)

    class Meta:
        model = TrainingAssignment
        fields = [
            "id",
            "technician",
            "program",
            "assigned_on",
            "due_on",
            "started_on",
            "completed_on",
            "status",
            "note",
        ]
        read_only_fields = ["started_on", "completed_on"]
        validators: list = []  # dates and duplicates are the service's rules

    def __init__(self, *args, technician_queryset=None, **kwargs):
        super().__init__(*args, **kwargs)
        if technician_queryset is not None:
            self.fields["technician"].queryset = technician_queryset


class BulkAssignSerializer(serializers.Serializer):
    """Assign one programme to every employed technician of a site and/or a tier in scope."""

    program = serializers.PrimaryKeyRelatedField(queryset=Program.objects.filter(active=True))
    due_on = plausible_date_field()
    site = serializers.PrimaryKeyRelatedField(queryset=Site.objects.all(), required=False, allow_null=True)
    tier = serializers.SlugRelatedField(slug_field="code", queryset=Tier.objects.all(), required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True, max_length=300)

    def validate(self, attrs):
        if not attrs.get("site") and not attrs.get("tier"):
            raise serializers.ValidationError({"site": ["Choose a site, a tier or both."]})
        return attrs


class _QuerySerializer(serializers.Serializer):
    """Filters of a list: a malformed value is a 400 under its name, never silently ignored
    (an ignored filter answers with everything, which reads as the filtered answer)."""

    @classmethod
    def parse(cls, query_params) -> dict:
        query = cls(data={key: value for key, value in query_params.items() if value != ""})
        query.is_valid(raise_exception=True)
        return query.validated_data


class AssignmentQuerySerializer(_QuerySerializer):
    technician = serializers.IntegerField(required=False, min_value=1, max_value=MAX_DATABASE_ID)
    site = serializers.IntegerField(required=False, min_value=1, max_value=MAX_DATABASE_ID)
    program = serializers.IntegerField(required=False, min_value=1, max_value=MAX_DATABASE_ID)
    status = serializers.ChoiceField(choices=TrainingAssignment.Status.choices, required=False)


class RotationQuerySerializer(_QuerySerializer):
    technician = serializers.IntegerField(required=False, min_value=1, max_value=MAX_DATABASE_ID)
    site = serializers.IntegerField(required=False, min_value=1, max_value=MAX_DATABASE_ID)
    start = plausible_date_field(required=False, help_text="Rotations ending on or after this day.")
    end = plausible_date_field(required=False, help_text="Rotations starting on or before this day.")


class MatrixQuerySerializer(_QuerySerializer):
    site = serializers.IntegerField(required=False, min_value=1, max_value=MAX_DATABASE_ID)
    tier = serializers.CharField(required=False, max_length=20, help_text="Tier code.")
    track = serializers.CharField(required=False, max_length=30, help_text="Track code.")
    kind = serializers.ChoiceField(choices=["competency", "certification", "program"], required=False)
    category = serializers.CharField(required=False, max_length=20)


class BulkResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    skipped = serializers.IntegerField()


class CompleteSerializer(serializers.Serializer):
    completed_on = plausible_date_field(required=False)
    uan = serializers.CharField(
        required=False, allow_blank=True, max_length=40, help_text="ACPE UAN, when the programme has none."
    )


class RotationSerializer(serializers.ModelSerializer):
    technician = serializers.PrimaryKeyRelatedField(queryset=Technician.objects.none())
    station = serializers.ChoiceField(choices=Rotation.Station.choices)

    class Meta:
        model = Rotation
        fields = ["id", "technician", "station", "start", "end", "learning_week", "note"]

    def __init__(self, *args, technician_queryset=None, **kwargs):
        super().__init__(*args, **kwargs)
        if technician_queryset is not None:
            self.fields["technician"].queryset = technician_queryset


class MatrixCellSerializer(serializers.Serializer):
    status = serializers.CharField()
    detail = serializers.CharField()


class MatrixColumnSerializer(serializers.Serializer):
    kind = serializers.CharField()
    code = serializers.CharField()
    name = serializers.CharField()


class MatrixRowSerializer(serializers.Serializer):
    technician = serializers.IntegerField(source="technician.pk")
    name = serializers.CharField(source="technician.full_name")
    site = serializers.IntegerField(source="technician.site_id")
    cells = serializers.SerializerMethodField()

    def get_cells(self, row) -> dict[str, str]:
        """``{"<kind>:<code>": status}`` for every column."""
        columns = self.context["columns"]
        return {f"{c.kind}:{c.code}": cell.status for c, cell in zip(columns, row.cells, strict=True)}
