"""``technicians/{id}/progress/``: one technician's standing, assembled from each app's selector."""

from __future__ import annotations

from django.utils import timezone
from rest_framework import serializers

from certifications.selectors import certification_progress
from tiers.selectors import ladder_progress


class MissingRequirementSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["competency", "certification", "evaluation", "tenure"])
    code = serializers.CharField()
    detail = serializers.CharField()


class PtcbSerializer(serializers.Serializer):
    deadline = serializers.DateField()
    status = serializers.ChoiceField(choices=["met", "on_track", "due_soon", "overdue"])


class HeldCertificationSerializer(serializers.Serializer):
    type = serializers.CharField()
    name = serializers.CharField()
    issued_on = serializers.DateField()
    expires_on = serializers.DateField(allow_null=True)
    verified = serializers.BooleanField()


class ProgressSerializer(serializers.Serializer):
    tier = serializers.CharField(allow_null=True)
    next_tier = serializers.CharField(allow_null=True)
    eligible = serializers.BooleanField()
    missing = MissingRequirementSerializer(many=True)
    ptcb = PtcbSerializer()
    certifications = HeldCertificationSerializer(many=True)


def technician_progress(*, technician, today=None) -> dict:
    today = today or timezone.localdate()
    return {
        **ladder_progress(technician=technician, today=today),
        **certification_progress(technician=technician, today=today),
    }
