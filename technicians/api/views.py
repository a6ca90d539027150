from __future__ import annotations

import django_filters
from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from careerladder.core import versions
from careerladder.core.api import CachedCountPagination, IdFilter
from careerladder.core.security import token_login_succeeded
from technicians import selectors, services
from technicians.api.progress import ProgressSerializer, technician_progress
from technicians.api.serializers import (
    SiteSerializer,
    TechnicianSerializer,
    TokenRequestSerializer,
    TokenResponseSerializer,
    UserSerializer,
)
from technicians.models import Site, Technician, User
from technicians.permissions import IsOrgWide, ManagesTechnicians, ReadScopedWriteOrgWide, can_manage_site


class AuthTokenView(APIView):
    """Exchange a username and password for an API token (``Authorization: Token …``)."""

    # The only endpoint open to anonymous callers: it is how they stop being anonymous.
    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth-token"

    @extend_schema(request=TokenRequestSerializer, responses={200: TokenResponseSerializer}, auth=[])
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(request=request._request, **serializer.validated_data)
        if user is None or not user.is_active:
            return Response(
                {"non_field_errors": ["Unable to log in with the username and password given."]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        token_login_succeeded(request=request._request, user=user)  # clears the lockout count
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


class SiteViewSet(viewsets.ModelViewSet):
    serializer_class = SiteSerializer
    permission_classes = [ReadScopedWriteOrgWide]
    filterset_fields = ["kind", "state"]
    http_method_names = ["get", "post", "patch", "put", "head", "options"]

    def get_queryset(self):
        return selectors.site_list(viewer=self.request.user).order_by("code")

    def perform_create(self, serializer):
        serializer.instance = services.site_create(**serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.site_update(site=serializer.instance, data=serializer.validated_data)


class TechnicianFilter(django_filters.FilterSet):
    site = IdFilter(field_name="site_id")
    status = django_filters.ChoiceFilter(choices=Technician.Status.choices)
    tier = django_filters.CharFilter(field_name="current_tier_code", label="Current tier code")
    search = django_filters.CharFilter(method="filter_search", label="Name, employee id or e-mail")

    class Meta:
        model = Technician
        fields = ["site", "status", "tier"]

    def filter_search(self, queryset, name, value):
        return selectors.technician_list(viewer=self.request.user, search=value).filter(pk__in=queryset.values("pk"))


class TechnicianViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Technicians in the caller's scope. Terminated technicians are kept, never deleted;
    a separation is recorded by PATCHing ``status``, ``termination_date`` and ``termination_type``."""

    serializer_class = TechnicianSerializer
    permission_classes = [ManagesTechnicians]
    filterset_class = TechnicianFilter
    pagination_class = CachedCountPagination

    def get_queryset(self):
        return selectors.technician_list(viewer=self.request.user).order_by("last_name", "first_name", "id")

    def list(self, request, *args, **kwargs):
        """The page, kept in the cache under the data versions of the caller's sites
        (``careerladder.core.versions``) and keyed by the query: asking again costs a cache
        read until a technician in scope or their records change."""
        data = versions.cached(
            "api-technician-list",
            scope=selectors.viewer_scope(request.user),
            parts=[sorted(request.query_params.lists()), request.build_absolute_uri("/")],
            compute=lambda: super(TechnicianViewSet, self).list(request, *args, **kwargs).data,
        )
        return Response(data)

    def get_serializer(self, *args, **kwargs):
        user = self.request.user
        kwargs.setdefault("site_queryset", selectors.site_list(viewer=user))
        kwargs.setdefault("technician_queryset", selectors.technician_list(viewer=user))
        return super().get_serializer(*args, **kwargs)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        if not can_manage_site(self.request.user, data["site"].pk):
            from rest_framework.exceptions import PermissionDenied

            raise PermissionDenied("You may only add technicians to sites you manage.")
        tier_code = data.pop("current_tier_code", "TECH1")
        tech = services.technician_create(**data, tier_code=tier_code, created_by=self.request.user)
        serializer.instance = selectors.technician_get(viewer=self.request.user, pk=tech.pk)

    @extend_schema(responses={200: ProgressSerializer})
    @action(detail=True, methods=["get"])
    def progress(self, request, pk=None):
        """Where the technician stands: tier, next tier, eligibility and what is missing, PTCB."""
        technician = self.get_object()
        return Response(ProgressSerializer(technician_progress(technician=technician)).data)

    def perform_update(self, serializer):
        tech = services.technician_update(
            technician=serializer.instance, data=dict(serializer.validated_data), updated_by=self.request.user
        )
        serializer.instance = selectors.technician_get(viewer=self.request.user, pk=tech.pk)


class UserViewSet(viewsets.ModelViewSet):
    """Logins (hr and admin only)."""

    serializer_class = UserSerializer
    permission_classes = [IsOrgWide]
    filterset_fields = ["role", "is_active"]
    http_method_names = ["get", "post", "patch", "put", "head", "options"]

    def get_queryset(self):
        return User.objects.prefetch_related("sites").order_by("username")

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.user_create(
            username=data["username"],
            password=data["password"],
            role=data.get("role", User.Role.TECHNICIAN),
            technician=data.get("technician"),
            sites=data.get("sites", []),
            email=data.get("email", ""),
            first_name=data.get("first_name", ""),
            last_name=data.get("last_name", ""),
        )

    def perform_update(self, serializer):
        serializer.instance = services.user_update(user=serializer.instance, data=dict(serializer.validated_data))


__all__ = ["AuthTokenView", "SiteViewSet", "TechnicianViewSet", "UserViewSet", "Site"]
