"""Incentives API: programmes (hr edits), the incentives earned in the viewer's scope, awarding
one, and running the trigger check."""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from careerladder.core.filters import TechnicianRecordFilterSet
from certifications import permissions
from incentives import selectors as incentives_selectors
from incentives import services as incentives_services
from incentives.api.serializers import (
    AwardSerializer,
    IncentiveCheckSerializer,
    IncentiveProgramSerializer,
    IncentiveSerializer,
)
from incentives.models import Incentive
from technicians.permissions import ReadScopedWriteOrgWide
from technicians.roles import MANAGERS
from technicians.selectors import Record, role_of, technicians_in_scope


class IncentiveProgramViewSet(viewsets.ModelViewSet):
    """Incentive programmes and their triggers. Everyone logged in reads; hr changes."""

    serializer_class = IncentiveProgramSerializer
    permission_classes = [ReadScopedWriteOrgWide]
    http_method_names = ["get", "post", "patch", "put", "head", "options"]

    def get_queryset(self):
        return incentives_selectors.incentive_program_list()

    def perform_create(self, serializer):
        serializer.instance = incentives_services.incentive_program_create(**serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = incentives_services.incentive_program_update(
            program=serializer.instance, data=dict(serializer.validated_data)
        )


class IncentiveFilterSet(TechnicianRecordFilterSet):
    status = django_filters.ChoiceFilter(choices=Incentive.Status.choices)
    program = django_filters.CharFilter(field_name="program__code")


class IncentiveViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Incentives per technician with status ``eligible`` or ``awarded``. They are created when
    a trigger fires; a manager of the site or hr marks them awarded."""

    serializer_class = IncentiveSerializer
    filterset_class = IncentiveFilterSet

    def get_queryset(self):
        return incentives_selectors.incentive_list(viewer=self.request.user)

    @extend_schema(request=AwardSerializer, responses={200: IncentiveSerializer})
    @action(detail=True, methods=["post"])
    def award(self, request, pk=None):
        incentive = self.get_object()
        if not permissions.can_oversee(request.user, incentive.technician):
            raise PermissionDenied("Only a manager of the technician's site or HR awards incentives.")
        payload = AwardSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        incentives_services.incentive_award(incentive=incentive, awarded_by=request.user, **payload.validated_data)
        return Response(self.get_serializer(self.get_queryset().get(pk=incentive.pk)).data)

    @extend_schema(request=None, responses={200: IncentiveCheckSerializer})
    @action(detail=False, methods=["post"])
    def check(self, request):
        """Check every trigger now for the technicians you manage (managers and hr)."""
        if role_of(request.user) not in MANAGERS:
            raise PermissionDenied("Only managers and HR check incentive triggers.")
        # Managers' scope is exactly the sites they manage; hr and admin see everyone.
        ids = list(technicians_in_scope(request.user, Record.INCENTIVES).values_list("pk", flat=True))
        created = incentives_services.incentives_evaluate(technician_ids=ids)
        return Response({"created": created}, status=status.HTTP_200_OK)
