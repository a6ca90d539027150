"""``kpis/`` (computed now) and ``kpi-snapshots/`` (stored monthly rows). Managers see their
own sites, hr and admin everything; technicians and evaluators are refused (403). A site out
of the caller's scope answers 404, like any object that cannot be probed."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from careerladder.core.api import ErrorDetailSerializer
from metrics import kpis, selectors
from metrics.api.serializers import KpiQuerySerializer, KpiSerializer, KpiSnapshotQuerySerializer, KpiSnapshotSerializer
from technicians.selectors import viewer_site_ids


class SeesKpis(BasePermission):
    message = "Only managers, HR and administrators see KPIs."

    def has_permission(self, request, view) -> bool:
        return selectors.can_see_kpis(request.user)


def _check_site(request, site_id: int | None) -> None:
    """A site the caller cannot see (or that does not exist) answers 404."""
    if site_id is not None and not selectors.sites_in_scope(viewer=request.user).filter(pk=site_id).exists():
        raise Http404("No such site.")


class KpiView(APIView):
    """Every KPI of PRODUCT.md section 3 for ``[start, end]``, computed now: the organisation
    (hr, admin), one site (``site``), or, for a manager who names no site, their sites together."""

    permission_classes = [SeesKpis]

    @extend_schema(parameters=[KpiQuerySerializer], responses={200: KpiSerializer, 404: ErrorDetailSerializer})
    def get(self, request):
        query = KpiQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        start, end, site_id = (
            query.validated_data["start"],
            query.validated_data["end"],
            query.validated_data.get("site"),
        )
        _check_site(request, site_id)
        own_sites = viewer_site_ids(request.user)
        if site_id is not None:
            scope, sites, values = "site", [site_id], kpis.compute_kpis_cached(start=start, end=end, site_id=site_id)
        elif own_sites is None:
            scope, sites, values = "organisation", [], kpis.compute_kpis_cached(start=start, end=end)
        else:
            scope, sites = "sites", sorted(own_sites)
            values = kpis.compute_kpis_cached(start=start, end=end, site_ids=sites)
        body = {"start": start, "end": end, "scope": scope, "site": site_id, "sites": sites, **values}
        return Response(KpiSerializer(body).data)


class KpiSnapshotViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Stored monthly snapshots with ``computed_at``. Filters: ``site`` (id), ``month``
    (YYYY-MM), ``scope`` (``organisation`` for the organisation's rows, ``site`` for sites')."""

    serializer_class = KpiSnapshotSerializer
    permission_classes = [SeesKpis]
    filter_backends: list = []

    @extend_schema(
        parameters=[
            OpenApiParameter("site", OpenApiTypes.INT, description="Site id."),
            OpenApiParameter("month", OpenApiTypes.STR, description="YYYY-MM"),
            OpenApiParameter("scope", OpenApiTypes.STR, enum=["organisation", "site"]),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return selectors.KpiSnapshot.objects.none()
        query = KpiSnapshotQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        site_id = query.validated_data.get("site")
        _check_site(self.request, site_id)
        qs = selectors.snapshot_list(
            viewer=self.request.user,
            site_id=site_id,
            month=query.validated_data.get("month"),
            org_only=query.validated_data.get("scope") == "organisation",
        )
        if query.validated_data.get("scope") == "site":
            qs = qs.filter(site__isnull=False)
        return qs
