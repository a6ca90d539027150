"""Tracks API. Querysets come from the scoping selectors (out of scope = 404); a write is allowed
by role first (403), then by ``tracks.permissions`` (403), then checked by the service (400)."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from careerladder.core.api import TechnicianScopedMixin
from competencies.permissions import can_sign_off
from technicians.permissions import ReadScopedWriteByRule
from technicians.roles import EVERYONE, SUPERVISORS
from tiers.permissions import can_decide_promotion
from tiers.selectors import technician_list
from tracks import selectors as tracks_selectors
from tracks import services as tracks_services
from tracks.api.serializers import (
    EnrolmentSerializer,
    LeadershipHoursSerializer,
    MentoringMeetingSerializer,
    TrackSerializer,
)
from tracks.models import Enrolment, Track
from tracks.permissions import can_enrol, can_record_meeting


class TrackViewSet(viewsets.ReadOnlyModelViewSet):
    """The clinical and management tracks with their positions and requirements."""

    serializer_class = TrackSerializer

    def get_queryset(self):
        return Track.objects.prefetch_related(
            "positions__min_tier", "positions__required_competencies", "positions__required_certifications"
        ).order_by("kind", "name")


class EnrolmentViewSet(
    TechnicianScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Enrolments on tracks. A technician enrols themself; managers and hr enrol their
    technicians. ``withdraw/`` ends an enrolment; ``complete/`` records that the technician took
    up the position (only when ``ready``)."""

    serializer_class = EnrolmentSerializer
    permission_classes = [ReadScopedWriteByRule]
    write_roles = EVERYONE
    filterset_fields = ["technician", "status", "track__code"]

    def get_queryset(self):
        return tracks_selectors.enrolment_list(viewer=self.request.user).order_by("-enrolled_on", "-id")

    def _progress(self, enrolments) -> dict:
        technicians = {e.technician_id: e.technician for e in enrolments}
        if not technicians:
            return {}
        rows = tracks_selectors.enrolments_with_progress(technicians=technicians.values(), today=timezone.localdate())
        return {e.pk: e for e in rows}

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        rows = page if page is not None else list(queryset)
        context = {**self.get_serializer_context(), "progress": self._progress(rows)}
        serializer = self.get_serializer(rows, many=True, context=context)
        if page is not None:
            return self.get_paginated_response(serializer.data)
        return Response(serializer.data)

    def retrieve(self, request, *args, **kwargs):
        enrolment = self.get_object()
        context = {**self.get_serializer_context(), "progress": self._progress([enrolment])}
        return Response(self.get_serializer(enrolment, context=context).data)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if not can_enrol(request.user, data["technician"]):
            raise PermissionDenied("You may not enrol this technician.")
        enrolment = tracks_services.enrolment_create(
            technician=data["technician"],
            position=data["position"],
            enrolled_by=request.user,
            enrolled_on=data.get("enrolled_on"),
        )
        context = {**self.get_serializer_context(), "progress": self._progress([enrolment])}
        return Response(self.get_serializer(enrolment, context=context).data, status=status.HTTP_201_CREATED)

    def _changeable(self) -> Enrolment:
        enrolment = self.get_object()
        if not can_enrol(self.request.user, enrolment.technician):
            raise PermissionDenied("You may not change this enrolment.")
        return enrolment

    @extend_schema(request=None, responses={200: EnrolmentSerializer})
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        enrolment = tracks_services.enrolment_withdraw(enrolment=self._changeable())
        return Response(self.get_serializer(enrolment).data)

    @extend_schema(request=None, responses={200: EnrolmentSerializer})
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        enrolment = self.get_object()
        if not can_decide_promotion(request.user, enrolment.technician):
            raise PermissionDenied("The technician's manager or HR records that a position was taken up.")
        enrolment = tracks_services.enrolment_complete(enrolment=enrolment)
        return Response(self.get_serializer(enrolment).data)


class LeadershipHoursViewSet(
    TechnicianScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Management-track hours (shadowing, rotational leadership), recorded by the supervisor."""

    serializer_class = LeadershipHoursSerializer
    permission_classes = [ReadScopedWriteByRule]
    write_roles = SUPERVISORS
    filterset_fields = ["technician", "kind"]

    def get_queryset(self):
        return tracks_selectors.leadership_hour_list(viewer=self.request.user).order_by("-worked_on", "-id")

    def perform_create(self, serializer):
        data = serializer.validated_data
        if not can_sign_off(self.request.user, data["technician"]):
            raise PermissionDenied("You may not record hours for this technician.")
        serializer.instance = tracks_services.leadership_hours_log(
            technician=data["technician"],
            kind=data["kind"],
            worked_on=data["worked_on"],
            hours=data["hours"],
            activity=data["activity"],
            recorded_by=self.request.user,
        )


class MentoringMeetingViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Mentoring meetings: the mentor (who sees their mentees), the mentee (read) and the
    mentee's managers and hr."""

    serializer_class = MentoringMeetingSerializer
    permission_classes = [ReadScopedWriteByRule]
    write_roles = EVERYONE
    filterset_fields = ["mentee", "mentor"]

    def get_queryset(self):
        return tracks_selectors.mentoring_meeting_list(viewer=self.request.user).order_by("-met_on", "-id")

    def get_serializer(self, *args, **kwargs):
        user = self.request.user
        scoped = technician_list(viewer=user)
        mentees = tracks_selectors.mentee_list(viewer=user)
        kwargs.setdefault(
            "technician_queryset",
            scoped.model.objects.filter(pk__in=scoped.values("pk"))
            | scoped.model.objects.filter(pk__in=mentees.values("pk")),
        )
        return super().get_serializer(*args, **kwargs)

    def perform_create(self, serializer):
        data = serializer.validated_data
        if not can_record_meeting(self.request.user, data["mentee"]):
            raise PermissionDenied("Only the mentor, the technician's managers and HR log mentoring meetings.")
        serializer.instance = tracks_services.mentoring_meeting_record(
            mentee=data["mentee"],
            recorded_by=self.request.user,
            met_on=data["met_on"],
            minutes=data["minutes"],
            topics=data["topics"],
            notes=data.get("notes", ""),
            next_steps=data.get("next_steps", ""),
        )
