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

from careerladder.core.api import IdFilter
from competencies.models import SignOff
from technicians import selectors as technician_selectors
from technicians.permissions import ReadScopedWriteOrgWide
from tiers import selectors, services
from tiers.api.serializers import (
    AcknowledgeSerializer,
    ApproveSerializer,
    CompetencySerializer,
    EnrolmentSerializer,
    EvaluationSerializer,
    LeadershipHoursSerializer,
    MentoringMeetingSerializer,
    PromotionSerializer,
    RejectSerializer,
    SignOffSerializer,
    TctLogSerializer,
    TierSerializer,
    TrackSerializer,
)
from tiers.models import RUBRIC, Evaluation, Promotion
from tiers.permissions import (
    ReadScopedWriteByRule,
    can_decide_promotion,
    can_enrol,
    can_evaluate,
    can_record_meeting,
    can_sign_off,
)
from tracks.models import Enrolment, Track

SUPERVISORS = ("evaluator", "manager", "admin")
MANAGERS = ("manager", "hr", "admin")
EVERYONE = ("technician", "evaluator", "manager", "hr", "admin")


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


class TechnicianScopedMixin:
    """Gives serializers the technicians the caller may see, for ``technician`` fields."""

    def get_serializer(self, *args, **kwargs):
        kwargs.setdefault("technician_queryset", technician_selectors.technician_list(viewer=self.request.user))
        return super().get_serializer(*args, **kwargs)


class CompetencyViewSet(viewsets.ModelViewSet):
    """Competencies and their checklists. Everyone logged in reads them; hr and admin define
    them (``items`` replaces the checklist; retired items keep their sign-offs)."""

    serializer_class = CompetencySerializer
    permission_classes = [ReadScopedWriteOrgWide]
    http_method_names = ["get", "post", "patch", "put", "head", "options"]
    filterset_fields = ["category", "active"]

    def get_queryset(self):
        return selectors.competency_list(active_only=False).prefetch_related(None).prefetch_related("items")

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
        return services.competency_save(competency=instance, items=items, **base)

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
        return selectors.signoff_list(viewer=self.request.user).order_by("-signed_on", "-id")

    def perform_create(self, serializer):
        data = serializer.validated_data
        technician = data["technician"]
        if not can_sign_off(self.request.user, technician):
            raise PermissionDenied("You may not sign off this technician's competencies.")
        [signoff] = services.signoff_record_many(
            technician=technician,
            evaluator=self.request.user,
            entries=[
                services.SignOffInput(
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
        return selectors.tct_log_list(viewer=self.request.user).order_by("-checked_on", "-id")

    def perform_create(self, serializer):
        data = serializer.validated_data
        if not can_sign_off(self.request.user, data["technician"]):
            raise PermissionDenied("You may not record validation for this technician.")
        serializer.instance = services.tct_log_record(
            technician=data["technician"],
            audited_by=self.request.user,
            checked_on=data["checked_on"],
            verifications=data["verifications"],
            errors=data.get("errors", 0),
            note=data.get("note", ""),
        )


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


class PromotionFilter(django_filters.FilterSet):
    site = IdFilter(field_name="technician__site_id")
    to_tier = django_filters.CharFilter(field_name="to_tier__code")

    class Meta:
        model = Promotion
        fields = ["status", "technician", "site", "to_tier"]


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
    filterset_class = PromotionFilter

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
        return selectors.enrolment_list(viewer=self.request.user).order_by("-enrolled_on", "-id")

    def _progress(self, enrolments) -> dict:
        technicians = {e.technician_id: e.technician for e in enrolments}
        if not technicians:
            return {}
        rows = selectors.enrolments_with_progress(technicians=technicians.values(), today=timezone.localdate())
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
        enrolment = services.enrolment_create(
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
        enrolment = services.enrolment_withdraw(enrolment=self._changeable())
        return Response(self.get_serializer(enrolment).data)

    @extend_schema(request=None, responses={200: EnrolmentSerializer})
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        enrolment = self.get_object()
        if not can_decide_promotion(request.user, enrolment.technician):
            raise PermissionDenied("The technician's manager or HR records that a position was taken up.")
        enrolment = services.enrolment_complete(enrolment=enrolment)
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
        return selectors.leadership_hour_list(viewer=self.request.user).order_by("-worked_on", "-id")

    def perform_create(self, serializer):
        data = serializer.validated_data
        if not can_sign_off(self.request.user, data["technician"]):
            raise PermissionDenied("You may not record hours for this technician.")
        serializer.instance = services.leadership_hours_log(
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
        return selectors.mentoring_meeting_list(viewer=self.request.user).order_by("-met_on", "-id")

    def get_serializer(self, *args, **kwargs):
        user = self.request.user
        scoped = technician_selectors.technician_list(viewer=user)
        mentees = selectors.mentee_list(viewer=user)
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
        serializer.instance = services.mentoring_meeting_record(
            mentee=data["mentee"],
            recorded_by=self.request.user,
            met_on=data["met_on"],
            minutes=data["minutes"],
            topics=data["topics"],
            notes=data.get("notes", ""),
            next_steps=data.get("next_steps", ""),
        )
