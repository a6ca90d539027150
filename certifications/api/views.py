"""Certification endpoints. Querysets come from ``certifications.selectors`` (scoped to the
caller, so an id out of scope is a 404); writes go through ``certifications.services`` after a
permission check on what the caller can see (refused is a 403)."""

from __future__ import annotations

import django_filters
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from careerladder.core.filters import TechnicianRecordFilterSet
from certifications import permissions, selectors, services
from certifications.api.serializers import (
    AttestationSerializer,
    CECreditSerializer,
    CertificationRejectSerializer,
    CertificationSerializer,
    CertificationTypeSerializer,
    PolicySerializer,
    PracticeTestSerializer,
    PtcbExtensionSerializer,
)
from certifications.models import Certification
from certifications.selectors import CertificationStatus
from technicians.models import Technician
from technicians.permissions import ReadScopedWriteOrgWide
from technicians.selectors import technicians_in_scope


class TechnicianOwnedViewSet(viewsets.GenericViewSet):
    """Shared plumbing: the ``technician`` field offers only technicians in scope, and
    creating a record for one needs ``permissions.can_record_for``."""

    permission_classes = [permissions.TechnicianRecordPermission]
    object_check = staticmethod(permissions.can_change_record)
    create_check = staticmethod(permissions.can_record_for)
    create_denied = "You may only record this for yourself or for technicians of sites you manage."

    def get_serializer(self, *args, **kwargs):
        kwargs.setdefault("technician_queryset", technicians_in_scope(self.request.user))
        return super().get_serializer(*args, **kwargs)

    def _technician_for_create(self, serializer) -> Technician:
        technician = serializer.validated_data["technician"]
        if not self.create_check(self.request.user, technician):
            raise PermissionDenied(self.create_denied)
        return technician


# --- Types and policy ---------------------------------------------------------------------


class CertificationTypeViewSet(viewsets.ModelViewSet):
    """Certification types and their renewal rules. Everyone logged in reads; hr adds and edits."""

    serializer_class = CertificationTypeSerializer
    permission_classes = [ReadScopedWriteOrgWide]
    http_method_names = ["get", "post", "patch", "put", "head", "options"]
    filterset_fields = ["category", "code"]

    def get_queryset(self):
        return selectors.certification_type_list()

    def perform_create(self, serializer):
        serializer.instance = services.certification_type_create(**serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.certification_type_update(
            certification_type=serializer.instance, data=dict(serializer.validated_data), updated_by=self.request.user
        )


class PolicyView(APIView):
    """The organisation's certification policy: PTCB window (months after hire), practice-test
    pass mark, days before expiry that count as "expiring". Everyone reads; hr changes."""

    permission_classes = [ReadScopedWriteOrgWide]

    @extend_schema(responses={200: PolicySerializer})
    def get(self, request):
        return Response(PolicySerializer(selectors.policy_get()).data)

    @extend_schema(request=PolicySerializer, responses={200: PolicySerializer})
    def patch(self, request):
        serializer = PolicySerializer(selectors.policy_get(), data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        policy = services.policy_update(data=dict(serializer.validated_data), updated_by=request.user)
        return Response(PolicySerializer(policy).data)

    @extend_schema(request=PolicySerializer, responses={200: PolicySerializer})
    def put(self, request):
        return self.patch(request)


# --- Held certifications ------------------------------------------------------------------


class CertificationFilterSet(TechnicianRecordFilterSet):
    type = django_filters.CharFilter(field_name="type__code", label="Certification type code")
    status = django_filters.ChoiceFilter(choices=CertificationStatus.CHOICES)
    verified = django_filters.BooleanFilter(field_name="verified_at", lookup_expr="isnull", exclude=True)

    class Meta:
        model = Certification
        fields = ["technician", "site", "type", "status", "verified"]


class CertificationViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    TechnicianOwnedViewSet,
):
    """Held certifications. A technician's own entry is self-reported and unverified until a
    manager of the site verifies it (``verify/``) or returns it with a reason (``reject/``);
    a manager's or hr's entry is verified at once. ``status`` is ``active``, ``expiring``
    (expires within the policy's days, 60 by default) or ``expired``."""

    serializer_class = CertificationSerializer
    filterset_class = CertificationFilterSet
    object_check = staticmethod(permissions.can_change_certification)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no database needed
            return Certification.objects.none()
        return selectors.certification_list(viewer=self.request.user, today=timezone.localdate()).order_by(
            "technician__last_name", "technician__first_name", "type__code", "-issued_on", "id"
        )

    def _reload(self, pk):
        return self.get_queryset().get(pk=pk)

    def perform_create(self, serializer):
        technician = self._technician_for_create(serializer)
        data = dict(serializer.validated_data)
        data.pop("technician")
        cert = services.certification_record(technician=technician, recorded_by=self.request.user, **data)
        serializer.instance = self._reload(cert.pk)

    def perform_update(self, serializer):
        cert = services.certification_update(
            certification=serializer.instance, data=dict(serializer.validated_data), updated_by=self.request.user
        )
        serializer.instance = self._reload(cert.pk)

    def perform_destroy(self, instance):
        services.certification_delete(certification=instance, deleted_by=self.request.user)

    def _oversee(self, cert):
        if not permissions.can_oversee(self.request.user, cert.technician):
            raise PermissionDenied("Only a manager of the technician's site or HR may do this, never for themselves.")

    @extend_schema(request=None, responses={200: CertificationSerializer})
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def verify(self, request, pk=None):
        """Verify a self-reported certification (a manager of the site or hr)."""
        cert = self.get_object()
        self._oversee(cert)
        services.certification_verify(certification=cert, verified_by=request.user)
        return Response(self.get_serializer(self._reload(cert.pk)).data)

    @extend_schema(request=CertificationRejectSerializer, responses={200: CertificationSerializer})
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def reject(self, request, pk=None):
        """Return an unverified certification to the technician with the reason."""
        cert = self.get_object()
        self._oversee(cert)
        payload = CertificationRejectSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.certification_reject(certification=cert, rejected_by=request.user, **payload.validated_data)
        return Response(self.get_serializer(self._reload(cert.pk)).data)


class AttestationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Supervisors' yearly competency attestations for CSPT renewal, recorded by a manager of
    the site or hr."""

    serializer_class = AttestationSerializer
    filterset_fields = ["certification"]

    def get_queryset(self):
        return selectors.attestation_list(viewer=self.request.user)

    def get_serializer(self, *args, **kwargs):
        if "certification_queryset" not in kwargs:
            kwargs["certification_queryset"] = (
                Certification.objects.none()  # schema generation: no database needed
                if getattr(self, "swagger_fake_view", False)
                else selectors.certification_list(viewer=self.request.user, today=timezone.localdate())
            )
        return super().get_serializer(*args, **kwargs)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        cert = data.pop("certification")
        if not permissions.can_oversee(self.request.user, cert.technician):
            raise PermissionDenied("Only a manager of the technician's site or HR records attestations.")
        serializer.instance = services.attestation_record(certification=cert, recorded_by=self.request.user, **data)


class PtcbExtensionViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, TechnicianOwnedViewSet
):
    """Extensions of technicians' PTCB deadlines (the latest one governs). Managers of the site
    and hr grant them; everyone in scope reads them."""

    serializer_class = PtcbExtensionSerializer
    filterset_class = TechnicianRecordFilterSet
    create_check = staticmethod(permissions.can_oversee)
    create_denied = "Only a manager of the technician's site or HR grants extensions, never for themselves."

    def get_queryset(self):
        return selectors.ptcb_extension_list(viewer=self.request.user)

    def perform_create(self, serializer):
        technician = self._technician_for_create(serializer)
        data = dict(serializer.validated_data)
        data.pop("technician")
        serializer.instance = services.ptcb_extension_grant(technician=technician, granted_by=self.request.user, **data)


# --- Practice tests and CE ----------------------------------------------------------------


class PracticeTestViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    TechnicianOwnedViewSet,
):
    """PTCE practice attempts. A wrong entry is deleted and logged again (no editing)."""

    serializer_class = PracticeTestSerializer
    filterset_class = TechnicianRecordFilterSet

    def get_queryset(self):
        return selectors.practice_test_list(viewer=self.request.user)

    def perform_create(self, serializer):
        technician = self._technician_for_create(serializer)
        data = dict(serializer.validated_data)
        data.pop("technician")
        data["domain_scores"] = dict(data["domain_scores"])
        serializer.instance = services.practice_test_record(
            technician=technician, recorded_by=self.request.user, **data
        )

    def perform_destroy(self, instance):
        services.practice_test_delete(practice_test=instance)


class CECreditFilterSet(TechnicianRecordFilterSet):
    topic = django_filters.CharFilter()
    audience = django_filters.CharFilter()
    completed_after = django_filters.DateFilter(field_name="completed_on", lookup_expr="gte")
    completed_before = django_filters.DateFilter(field_name="completed_on", lookup_expr="lte")


class CECreditViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    TechnicianOwnedViewSet,
):
    """CE credits. ``topic``, ``audience`` and ``activity_type`` are read from the UAN. A wrong
    entry is deleted and logged again (no editing)."""

    serializer_class = CECreditSerializer
    filterset_class = CECreditFilterSet

    def get_queryset(self):
        return selectors.ce_credit_list(viewer=self.request.user)

    def perform_create(self, serializer):
        technician = self._technician_for_create(serializer)
        data = dict(serializer.validated_data)
        data.pop("technician")
        serializer.instance = services.ce_credit_record(technician=technician, recorded_by=self.request.user, **data)

    def perform_destroy(self, instance):
        services.ce_credit_delete(ce_credit=instance, deleted_by=self.request.user)

    @extend_schema(request=None, responses={200: CECreditSerializer})
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def verify(self, request, pk=None):
        """Verify the proof of a CE credit without a UAN (a college course, a non-ACPE
        provider): a manager of the site or hr, never their own. ACPE CE needs none (400)."""
        credit = self.get_object()
        services.ce_credit_verify(ce_credit=credit, verified_by=request.user)
        return Response(self.get_serializer(self.get_queryset().get(pk=credit.pk)).data)


# --- Incentives -------------------------------------------------------------------------------
