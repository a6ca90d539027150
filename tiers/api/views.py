"""Ladder API. Querysets come from the scoping selectors (out of scope = 404); a write is
allowed by role first (403), then by the object rule of ``tiers.permissions`` (403), then
checked by the service (400)."""

from __future__ import annotations

import django_filters
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from careerladder.core.api import TechnicianScopedMixin
from technicians.permissions import ReadScopedWriteByRule, ReadScopedWriteOrgWide
from technicians.roles import EVERYONE, MANAGERS
from tiers import selectors, services
from tiers.api.serializers import (
    AcknowledgeSerializer,
    ApproveSerializer,
    EvaluationSerializer,
    PromotionSerializer,
    RejectSerializer,
    TierSerializer,
)
from tiers.filters import PromotionFilterSet
from tiers.models import RUBRIC, Evaluation, Promotion
from tiers.permissions import can_decide_promotion, can_evaluate


class TierViewSet(viewsets.ModelViewSet):
    """The ladder. Everyone logged in reads it; hr and admin edit it and its requirements."""

    serializer_class = TierSerializer
    permission_classes = [ReadScopedWriteOrgWide]
    http_method_names = ["get", "post", "patch", "put", "head", "options"]

    def get_queryset(self):
        return selectors.ladder_tiers()

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        requirements = {
            key: data.pop(key)
            for key in ("required_competencies", "specialty_competencies", "required_certifications")
            if key in data
        }
        for key in ("min_evaluation_average", "min_months_in_prior_tier", "min_specialty_competencies"):
            if key in data:
                requirements[key] = data.pop(key)
        for attr, value in data.items():
            setattr(serializer.instance, attr, value)
        serializer.instance = services.tier_requirements_set(tier=serializer.instance, **requirements)


class EvaluationFilter(django_filters.FilterSet):
    acknowledged = django_filters.BooleanFilter(field_name="acknowledged_at", lookup_expr="isnull", exclude=True)

    class Meta:
        model = Evaluation
        fields = ["technician", "month", "acknowledged"]


class EvaluationViewSet(
    TechnicianScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Monthly evaluations (one per technician per month). Managers and hr record and correct
    them until the technician acknowledges (``acknowledge/``, by the technician only)."""

    serializer_class = EvaluationSerializer
    permission_classes = [ReadScopedWriteByRule]
    write_roles = MANAGERS
    action_roles = {"acknowledge": EVERYONE}
    filterset_class = EvaluationFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.evaluation_list(viewer=self.request.user).order_by("-month", "technician_id")

    def perform_create(self, serializer):
        data = serializer.validated_data
        if not can_evaluate(self.request.user, data["technician"]):
            raise PermissionDenied("You may not evaluate this technician.")
        serializer.instance = services.evaluation_create(
            technician=data["technician"],
            evaluator=self.request.user,
            month=data["month"],
            scores={name: data[name] for name in RUBRIC},
            comments=data.get("comments", ""),
        )

    def perform_update(self, serializer):
        evaluation = serializer.instance
        if not can_evaluate(self.request.user, evaluation.technician):
            raise PermissionDenied("You may not change this evaluation.")
        data = serializer.validated_data
        serializer.instance = services.evaluation_update(
            evaluation=evaluation,
            scores={name: data[name] for name in RUBRIC if name in data},
            comments=data.get("comments"),
        )

    @extend_schema(request=AcknowledgeSerializer, responses={200: EvaluationSerializer})
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        """The evaluated technician confirms having read the evaluation (optional comment)."""
        evaluation = self.get_object()
        if request.user.technician_id != evaluation.technician_id:
            raise PermissionDenied("Only the evaluated technician acknowledges an evaluation.")
        body = AcknowledgeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        evaluation = services.evaluation_acknowledge(
            evaluation=evaluation, user=request.user, comment=body.validated_data.get("comment", "")
        )
        return Response(self.get_serializer(evaluation).data)


class PromotionViewSet(
    TechnicianScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Promotion requests. Managers (own sites) and hr nominate; ``approve/`` re-checks
    eligibility and changes the tier exactly once; an ineligible request needs hr's
    ``justification``; ``reject/`` needs a ``reason``. Deciding a request that is not pending
    is a 400."""

    serializer_class = PromotionSerializer
    permission_classes = [ReadScopedWriteByRule]
    write_roles = MANAGERS
    filterset_class = PromotionFilterSet

    def get_queryset(self):
        return selectors.promotion_list(viewer=self.request.user).order_by("-created_at", "-id")

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context.setdefault("standings", {})
        return context

    def _with_standings(self, promotions) -> dict:
        pending = [p.technician for p in promotions if p.status == Promotion.Status.PENDING]
        return selectors.ladder_standing_many(technicians=pending, today=timezone.localdate()) if pending else {}

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        rows = page if page is not None else list(queryset)
        serializer = self.get_serializer(
            rows, many=True, context={**self.get_serializer_context(), "standings": self._with_standings(rows)}
        )
        if page is not None:
            return self.get_paginated_response(serializer.data)
        return Response(serializer.data)

    def retrieve(self, request, *args, **kwargs):
        promotion = self.get_object()
        context = {**self.get_serializer_context(), "standings": self._with_standings([promotion])}
        return Response(self.get_serializer(promotion, context=context).data)

    def perform_create(self, serializer):
        data = serializer.validated_data
        if not can_decide_promotion(self.request.user, data["technician"]):
            raise PermissionDenied("You may not nominate this technician.")
        serializer.instance = services.promotion_nominate(
            technician=data["technician"],
            nominated_by=self.request.user,
            effective_date=data["effective_date"],
            to_tier=data.get("to_tier"),
            note=data.get("note", ""),
        )

    def _decidable(self):
        promotion = self.get_object()
        if not can_decide_promotion(self.request.user, promotion.technician):
            raise PermissionDenied("You may not decide this promotion request.")
        return promotion

    @extend_schema(request=ApproveSerializer, responses={200: PromotionSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Approve: the technician moves to ``to_tier`` from ``effective_date``."""
        promotion = self._decidable()
        body = ApproveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.promotion_approve(
            promotion=promotion, approver=request.user, justification=body.validated_data.get("justification", "")
        )
        promotion.refresh_from_db()
        return Response(self.get_serializer(promotion).data)

    @extend_schema(request=RejectSerializer, responses={200: PromotionSerializer})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Reject, with the reason the technician and hr will read."""
        promotion = self._decidable()
        body = RejectSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        promotion = services.promotion_reject(
            promotion=promotion, decided_by=request.user, reason=body.validated_data["reason"]
        )
        return Response(self.get_serializer(promotion).data, status=status.HTTP_200_OK)
