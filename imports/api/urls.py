"""The import endpoints, mounted under /api/v1/ by careerladder/api_urls.py."""

from django.urls import path

from imports.api import views

urlpatterns: list = [
    path("imports/technicians/", views.TechnicianImportView.as_view(), name="import-technicians"),
    path("imports/certifications/", views.CertificationImportView.as_view(), name="import-certifications"),
    path("imports/ce-credits/", views.CECreditImportView.as_view(), name="import-ce-credits"),
]
