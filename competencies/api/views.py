"""Competency API. Querysets come from the scoping selectors (out of scope = 404); a write is
allowed by role first (403), then by ``competencies.permissions.can_sign_off`` (403), then
checked by the service (400)."""

from __future__ import annotations

import django_filters
from rest_framework import mixins, viewsets
from rest_framework.exceptions import PermissionDenied

from careerladder.core.api import TechnicianScopedMixin
from competencies import selectors as competencies_selectors
from competencies import services as competencies_services
from competencies.api.serializers import CompetencySerializer, SignOffSerializer, TctLogSerializer
from competencies.models import SignOff
from competencies.permissions import can_sign_off
from technicians.permissions import ReadScopedWriteByRule, ReadScopedWriteOrgWide
from technicians.roles import SUPERVISORS


class CompetencyViewSet(viewsets.ModelViewSet):
    """Competencies and their checklists. Everyone logged in reads them; hr and admin define
    them (``items`` replaces the checklist; retired items keep their sign-offs)."""

    serializer_class = CompetencySerializer
    permission_classes = [ReadScopedWriteOrgWide]
    http_method_names = ["get", "post", "patch", "put", "head", "options"]
    filterset_fields = ["category", "active"]

    def get_queryset(self):
        return (
            competencies_selectors.competency_list(active_only=False).prefetch_related(None).prefetch_related("items")
        )

    def _save(self, serializer, instance=None):
        data = dict(serializer.validated_data)
        items = data.pop("items", None)
        base = {
            "code": instance.code if instance else None,
            "name": instance.name if instance else None,
            "category": instance.category if instance else None,
            "revalidation_months": instance.revalidation_months if instance else None,
            "description": instance.description if instance else "",
            "usp797_kind": instance.usp797_kind if instance else "",
            "active": instance.active if instance else True,
        }
        base.update(data)
        return competencies_services.competency_save(competency=instance, items=items, **base)

    def perform_create(self, serializer):
        serializer.instance = self._save(serializer)

    def perform_update(self, serializer):
        serializer.instance = self._save(serializer, serializer.instance)


class SignOffFilter(django_filters.FilterSet):
    competency = django_filters.CharFilter(field_name="item__competency__code")

    class Meta:
        model = SignOff
        fields = ["technician", "item", "competency", "result", "method"]


class SignOffViewSet(
    TechnicianScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Checklist sign-offs. Evaluators and managers of the technician's site sign off (never
    their own items); sign-offs are never edited or deleted (corrections go through the admin,
    with history)."""

    serializer_class = SignOffSerializer
    permission_classes = [ReadScopedWriteByRule]
    write_roles = SUPERVISORS
    filterset_class = SignOffFilter

    def get_queryset(self):
        return competencies_selectors.signoff_list(viewer=self.request.user).order_by("-signed_on", "-id")

    def perform_create(self, serializer):
        data = serializer.validated_data
        technician = data["technician"]
        if not can_sign_off(self.request.user, technician):
            raise PermissionDenied("You may not sign off this technician's competencies.")
        [signoff] = competencies_services.signoff_record_many(
            technician=technician,
            evaluator=self.request.user,
            entries=[
                competencies_services.SignOffInput(
                    item=data["item"],
                    result=data.get("result"),
                    measurement=data.get("measurement"),
                    comment=data.get("comment", ""),
                )
            ],
            signed_on=data["signed_on"],
            method=data["method"],
        )
        serializer.instance = signoff


class TctLogViewSet(
    TechnicianScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Tech-check-tech validation days (checks and the errors the pharmacist's audit found)."""

    serializer_class = TctLogSerializer
    permission_classes = [ReadScopedWriteByRule]
    write_roles = SUPERVISORS
    filterset_fields = ["technician"]

    def get_queryset(self):
        return competencies_selectors.tct_log_list(viewer=self.request.user).order_by("-checked_on", "-id")

    def perform_create(self, serializer):
        data = serializer.validated_data
        if not can_sign_off(self.request.user, data["technician"]):
            raise PermissionDenied("You may not record validation for this technician.")
        serializer.instance = competencies_services.tct_log_record(
            technician=data["technician"],
            audited_by=self.request.user,
            checked_on=data["checked_on"],
            verifications=data["verifications"],
            errors=data.get("errors", 0),
            note=data.get("note", ""),
        )
