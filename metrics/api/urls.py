"""API routes of the KPIs: registered on the shared router by careerladder/api_urls.py."""

from django.urls import path

from metrics.api.views import KpiSnapshotViewSet, KpiView


def register(router) -> None:
    router.register("kpi-snapshots", KpiSnapshotViewSet, basename="kpi-snapshot")


# Extra (non-viewset) API paths of this app, mounted under /api/v1/.
urlpatterns: list = [path("kpis/", KpiView.as_view(), name="kpis")]
