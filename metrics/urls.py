"""Dashboard actions and hr's reports (mounted at the site root by careerladder/urls.py; the
dashboard page itself stays there as ``dashboard`` because navigation and ``/`` use the name)."""

from django.urls import path

from metrics import views

app_name = "metrics"
urlpatterns = [
    path("dashboard/recompute/", views.recompute, name="recompute"),
    path("dashboard/recompute/status/", views.recompute_status, name="recompute-status"),
    path("reports/", views.report, name="reports"),
    path("reports/print/", views.report_print, name="reports-print"),
    path("reports/kpis.csv", views.report_csv, name="reports-csv"),
    path("reports/kpis.xlsx", views.report_xlsx, name="reports-xlsx"),
]
