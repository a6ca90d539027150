"""Input and output of the training API (field names are the PRODUCT.md contract)."""

from __future__ import annotations

from rest_framework import serializers

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
    assigned_on = serializers.DateField(required=False)
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
    due_on = serializers.DateField()
    site = serializers.PrimaryKeyRelatedField(queryset=Site.objects.all(), required=False, allow_null=True)
    tier = serializers.SlugRelatedField(slug_field="code", queryset=Tier.objects.all(), required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True, max_length=300)

    def validate(self, attrs):
        if not attrs.get("site") and not attrs.get("tier"):
            raise serializers.ValidationError({"site": ["Choose a site, a tier or both."]})
        return attrs


class BulkResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    skipped = serializers.IntegerField()


class CompleteSerializer(serializers.Serializer):
    completed_on = serializers.DateField(required=False)
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
