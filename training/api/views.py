"""Training API. Querysets come from the scoping selectors (out of scope = 404); a write is
allowed by role first (403), then by the object rule of ``training.permissions`` (403), then
checked by the service (400)."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from technicians import selectors as technician_selectors
from technicians.permissions import ReadScopedWriteByRule, ReadScopedWriteOrgWide
from technicians.roles import EVERYONE, MANAGERS, STAFF
from technicians.selectors import role_of
from tiers.selectors import technician_list
from training import selectors, services
from training.api.serializers import (
    AssignmentQuerySerializer,
    BulkAssignSerializer,
    BulkResultSerializer,
    CompleteSerializer,
    MatrixColumnSerializer,
    MatrixQuerySerializer,
    MatrixRowSerializer,
    ProgramSerializer,
    RotationQuerySerializer,
    RotationSerializer,
    TrainingAssignmentSerializer,
)
from training.permissions import can_assign, can_record_progress, can_schedule_rotation


class TechnicianScopedMixin:
    """Gives serializers the technicians the caller may see, for ``technician`` fields."""

    def get_serializer(self, *args, **kwargs):
        kwargs.setdefault("technician_queryset", technician_list(viewer=self.request.user))
        return super().get_serializer(*args, **kwargs)


class ProgramViewSet(viewsets.ModelViewSet):
    """Training programmes. Everyone logged in reads them; hr and admin define them. They are
    retired (``active`` false), never deleted: assignments point at them."""

    serializer_class = ProgramSerializer
    permission_classes = [ReadScopedWriteOrgWide]
    http_method_names = ["get", "post", "patch", "put", "head", "options"]
    filterset_fields = ["category", "active"]

    def get_queryset(self):
        return selectors.program_list()


@extend_schema(parameters=[AssignmentQuerySerializer])
class TrainingAssignmentViewSet(
    TechnicianScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Programmes assigned to technicians. Managers (own sites) and hr assign, one technician
    at a time or in bulk (``bulk/``: a site and/or a tier); the technician (or a manager)
    records ``start/`` and ``complete/``. Completing a CE-bearing programme logs its CE credit."""

    serializer_class = TrainingAssignmentSerializer
    permission_classes = [ReadScopedWriteByRule]
    write_roles = MANAGERS
    action_roles = {"start": EVERYONE, "complete": EVERYONE}
    filter_backends: list = []

    def get_queryset(self):
        query = AssignmentQuerySerializer.parse(self.request.query_params)
        return selectors.assignment_list(
            viewer=self.request.user,
            today=timezone.localdate(),
            technician=query.get("technician"),
            site=query.get("site"),
            program=query.get("program"),
            status=query.get("status"),
        )

    def _reload(self, assignment):
        # The answer is the assignment itself, in the viewer's scope but whatever list filters
        # the query string holds (``start/?status=assigned`` changes that very status).
        return selectors.assignment_list(viewer=self.request.user, today=timezone.localdate()).get(pk=assignment.pk)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if not can_assign(request.user, data["technician"]):
            raise PermissionDenied("Only the technician's managers and HR assign training.")
        assignment = services.assignment_create(
            technician=data["technician"],
            program=data["program"],
            due_on=data["due_on"],
            assigned_on=data.get("assigned_on"),
            note=data.get("note", ""),
            assigned_by=request.user,
        )
        return Response(self.get_serializer(self._reload(assignment)).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        if not can_assign(self.request.user, instance.technician):
            raise PermissionDenied("Only the technician's managers and HR withdraw training.")
        services.assignment_delete(assignment=instance, deleted_by=self.request.user)

    @extend_schema(request=BulkAssignSerializer, responses=BulkResultSerializer)
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        serializer = BulkAssignSerializer(data=request.data)
        serializer.fields["site"].queryset = technician_selectors.site_list(viewer=request.user)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        technicians = selectors.matrix_technicians(
            viewer=request.user,
            site=data["site"].pk if data.get("site") else None,
            tier=data["tier"].code if data.get("tier") else None,
        )
        technicians = [t for t in technicians if can_assign(request.user, t)]
        result = services.assignment_bulk_create(
            technicians=technicians,
            program=data["program"],
            due_on=data["due_on"],
            note=data.get("note", ""),
            assigned_by=request.user,
        )
        return Response({"created": len(result.created), "skipped": result.skipped}, status=status.HTTP_201_CREATED)

    def _progress_target(self):
        assignment = self.get_object()
        if not can_record_progress(self.request.user, assignment):
            raise PermissionDenied("Only the technician and their managers record progress.")
        return assignment

    @extend_schema(request=None, responses=TrainingAssignmentSerializer)
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        assignment = services.assignment_start(assignment=self._progress_target())
        return Response(self.get_serializer(self._reload(assignment)).data)

    @extend_schema(request=CompleteSerializer, responses=TrainingAssignmentSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        assignment = self._progress_target()
        body = CompleteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        assignment = services.assignment_complete(
            assignment=assignment,
            completed_by=request.user,
            completed_on=body.validated_data.get("completed_on"),
            uan=body.validated_data.get("uan", ""),
        )
        return Response(self.get_serializer(self._reload(assignment)).data)


@extend_schema(parameters=[RotationQuerySerializer])
class RotationViewSet(
    TechnicianScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Technicians scheduled at stations (both dates included); ``learning_week`` marks a week
    of shadowing. Overlapping rotations of one technician are refused (400 on ``start``)."""

    serializer_class = RotationSerializer
    permission_classes = [ReadScopedWriteByRule]
    write_roles = MANAGERS
    filter_backends: list = []

    def get_queryset(self):
        query = RotationQuerySerializer.parse(self.request.query_params)
        return selectors.rotation_list(
            viewer=self.request.user,
            technician=query.get("technician"),
            site=query.get("site"),
            start=query.get("start"),
            end=query.get("end"),
        )

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if not can_schedule_rotation(request.user, data["technician"]):
            raise PermissionDenied("Only the technician's managers and HR schedule rotations.")
        rotation = services.rotation_schedule(
            technician=data["technician"],
            station=data["station"],
            start=data["start"],
            end=data["end"],
            learning_week=data.get("learning_week", False),
            note=data.get("note", ""),
            scheduled_by=request.user,
        )
        return Response(self.get_serializer(rotation).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        if not can_schedule_rotation(self.request.user, instance.technician):
            raise PermissionDenied("Only the technician's managers and HR change rotations.")
        services.rotation_delete(rotation=instance, deleted_by=self.request.user)


class TrainingMatrixView(GenericAPIView):
    """The training matrix: a row per technician in scope with the status of every column
    (the statuses the ``/training/matrix/`` page shows), paginated by technician."""

    @extend_schema(
        parameters=[MatrixQuerySerializer],
        responses=inline_serializer(
            "TrainingMatrix",
            {
                "count": serializers.IntegerField(),
                "next": serializers.URLField(allow_null=True),
                "previous": serializers.URLField(allow_null=True),
                "columns": MatrixColumnSerializer(many=True),
                "held": serializers.ListField(child=serializers.IntegerField()),
                "results": MatrixRowSerializer(many=True),
            },
        ),
    )
    def get(self, request):
        if role_of(request.user) not in STAFF:
            raise PermissionDenied("The training matrix is for managers, evaluators and HR.")
        query = MatrixQuerySerializer.parse(request.query_params)
        columns = selectors.matrix_columns(
            kind=query.get("kind", ""), category=query.get("category", ""), viewer=request.user
        )
        technicians = selectors.matrix_technicians(
            viewer=request.user,
            site=query.get("site"),
            tier=query.get("tier") or None,
            track=query.get("track") or None,
        )
        page = self.paginate_queryset(technicians)
        rows = selectors.matrix_rows(viewer=request.user, technicians=page, columns=columns, today=timezone.localdate())
        response = self.get_paginated_response(MatrixRowSerializer(rows, many=True, context={"columns": columns}).data)
        response.data["columns"] = MatrixColumnSerializer(columns, many=True).data
        response.data["held"] = selectors.matrix_held_counts(rows, columns)
        return response
