"""Competency pages (mounted at the site root by careerladder/urls.py)."""

from django.urls import path

from competencies import views

app_name = "competencies"
urlpatterns = [
    path("ladder/competencies/policy/", views.policy, name="policy"),
    path("ladder/competencies/new/", views.competency_create, name="competency-create"),
    path("ladder/competencies/<int:pk>/edit/", views.competency_edit, name="competency-edit"),
    path("technicians/<int:pk>/signoffs/", views.signoff_sheet, name="signoffs"),
    path("technicians/<int:pk>/logs/", views.logs, name="logs"),
]
