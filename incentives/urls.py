"""Incentive pages (mounted at the site root by careerladder/urls.py)."""

from django.urls import path

from incentives import views

app_name = "incentives"
urlpatterns = [
    path("incentives/", views.incentive_list, name="incentive-list"),
    path("incentives/check/", views.incentive_check, name="incentive-check"),
    path("incentives/<int:pk>/award/", views.incentive_award, name="incentive-award"),
    path("incentives/programs/new/", views.program_create, name="program-create"),
    path("incentives/programs/<int:pk>/edit/", views.program_edit, name="program-edit"),
]
