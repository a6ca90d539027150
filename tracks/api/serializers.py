"""API shapes of tracks and positions, enrolments, leadership hours and mentoring meetings."""

from __future__ import annotations

from rest_framework import serializers

from careerladder.core.validators import plausible_date_field
from technicians.models import Technician
from tracks.models import Enrolment, LeadershipHourLog, MentoringMeeting, Track, TrackPosition


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


class TrackProgressSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    track = serializers.CharField()
    position = serializers.CharField()
    position_name = serializers.CharField()
    status = serializers.CharField()
    enrolled_on = serializers.DateField()
    ready = serializers.BooleanField()
    missing = TrackMissingSerializer(many=True)
