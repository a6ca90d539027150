from __future__ import annotations

from django.contrib.auth import authenticate, update_session_auth_hash
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.authentication import SessionAuthentication
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from careerladder.core import versions
from careerladder.core.api import CachedCountPagination
from careerladder.core.security import (
    OutageSafeScopedRateThrottle,
    token_issue,
    token_login_succeeded,
    token_revoke,
)
from progress.api.serializers import ProgressSerializer
from progress.selectors import technician_progress
from technicians import selectors, services
from technicians.api.serializers import (
    SiteSerializer,
    TechnicianSerializer,
    TokenRequestSerializer,
    TokenResponseSerializer,
    UserSerializer,
)
from technicians.filters import TechnicianFilterSet
from technicians.models import Site, User
from technicians.permissions import (
    IsOrgWide,
    ManagesLogins,
    ManagesTechnicians,
    ReadScopedWriteOrgWide,
    can_manage_site,
)
from tiers import selectors as ladder_selectors
from tiers import services as tiers_services


class AuthTokenView(APIView):
    """Exchange a username and password for an API token (``POST``), and log the API out again
    (``DELETE``). Lifetime and revocation: ``careerladder/core/security.py``."""

    throttle_scope = "auth-token"

    def get_authenticators(self):
        # Only logging out (DELETE) looks at credentials. The exchange is how anonymous callers
        # stop being anonymous: it checks none (nor a session's CSRF token). ``self.request``
        # is Django's request here (View.setup).
        if getattr(self, "request", None) is not None and self.request.method == "DELETE":
            return super().get_authenticators()
        return []

    def get_permissions(self):
        # Only logging out needs a login; any other method answers 405 to anyone, as before.
        return [IsAuthenticated()] if self.request.method == "DELETE" else [AllowAny()]

    def get_throttles(self):
        # Password guessing is what the rate limit is for; logging out is not throttled.
        return [] if self.request.method == "DELETE" else [OutageSafeScopedRateThrottle()]

    @extend_schema(request=TokenRequestSerializer, responses={200: TokenResponseSerializer}, auth=[])
    def post(self, request):
        """Exchange a username and password for an API token (``Authorization: Token …``). The
        token lasts ``API_TOKEN_TTL_HOURS`` (12 by default) from when it was issued; asking
        again within that time gives the same token, afterwards a new one."""
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(request=request._request, **serializer.validated_data)
        if user is None or not user.is_active:
            return Response(
                {"non_field_errors": ["Unable to log in with the username and password given."]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        token_login_succeeded(request=request._request, user=user)  # clears the lockout count
        return Response({"token": token_issue(user=user).key})

    @extend_schema(request=None, responses={204: None})
    def delete(self, request):
        """Log the API out: revoke the caller's token (a login has at most one), whether this
        call came with it or with a session; a session stays logged in (the web logs out at
        ``/accounts/logout/``)."""
        token_revoke(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


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
        serializer.instance = services.site_update(
            site=serializer.instance, data=serializer.validated_data, updated_by=self.request.user
        )


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
    filterset_class = TechnicianFilterSet
    pagination_class = CachedCountPagination

    def get_queryset(self):
        return ladder_selectors.technician_list(viewer=self.request.user).order_by("last_name", "first_name", "id")

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
        kwargs.setdefault("technician_queryset", ladder_selectors.technician_list(viewer=user))
        return super().get_serializer(*args, **kwargs)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        if not can_manage_site(self.request.user, data["site"].pk):
            from rest_framework.exceptions import PermissionDenied

            raise PermissionDenied("You may only add technicians to sites you manage.")
        tier_code = data.pop("current_tier_code", "TECH1")
        tech = tiers_services.technician_create(**data, tier_code=tier_code, created_by=self.request.user)
        serializer.instance = ladder_selectors.technician_get(viewer=self.request.user, pk=tech.pk)

    @extend_schema(responses={200: ProgressSerializer})
    @action(detail=True, methods=["get"])
    def progress(self, request, pk=None):
        """Where the technician stands: tier, next tier, eligibility and what is missing, PTCB.
        It holds evaluations, certificates, CE and training, which an evaluator reads only of
        their own record (``technicians.selectors.EVALUATOR_READS``): a colleague's is 404."""
        technician = self.get_object()
        if not selectors.may_read(viewer=request.user, technician=technician, record=selectors.Record.EVALUATIONS):
            raise NotFound
        return Response(ProgressSerializer(technician_progress(technician=technician)).data)

    def perform_update(self, serializer):
        tech = tiers_services.technician_update(
            technician=serializer.instance, data=dict(serializer.validated_data), updated_by=self.request.user
        )
        serializer.instance = ladder_selectors.technician_get(viewer=self.request.user, pk=tech.pk)


class UserViewSet(viewsets.ModelViewSet):
    """Logins. hr and admin read them all; hr creates and changes technician, evaluator and
    manager logins, an administrator every login; nobody changes their own role
    (``services.user_check_change``). Changing a login hr may not manage is 403; asking for a
    role the caller may not give (or for a change of one's own role) is 400 on ``role``."""

    serializer_class = UserSerializer
    permission_classes = [IsOrgWide, ManagesLogins]
    filterset_fields = ["role", "is_active"]
    http_method_names = ["get", "post", "patch", "put", "head", "options"]

    def get_queryset(self):
        return User.objects.prefetch_related("sites").order_by("username")

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.user_create(
            actor=self.request.user,
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
        data = dict(serializer.validated_data)
        user = services.user_update(actor=self.request.user, user=serializer.instance, data=data)
        by_session = isinstance(self.request.successful_authenticator, SessionAuthentication)
        if data.get("password") and user.pk == self.request.user.pk and by_session:
            # A new password ends every session of the login; the one that changed it stays
            # logged in under a new key, as Django's own password change does.
            update_session_auth_hash(self.request._request, user)
        serializer.instance = user


__all__ = ["AuthTokenView", "SiteViewSet", "TechnicianViewSet", "UserViewSet", "Site"]
