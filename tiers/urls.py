"""Ladder, evaluation and promotion pages (mounted at the site root by careerladder/urls.py)."""

from django.urls import path

from tiers import views

app_name = "tiers"
urlpatterns = [
    path("ladder/", views.ladder, name="ladder"),
    path("ladder/tiers/<int:pk>/edit/", views.tier_edit, name="tier-edit"),
    path("technicians/<int:pk>/evaluations/", views.evaluations, name="evaluations"),
    path("technicians/<int:pk>/promote/", views.promotion_create, name="promotion-create"),
    path("evaluations/<int:pk>/acknowledge/", views.evaluation_acknowledge, name="evaluation-acknowledge"),
    path("promotions/", views.promotion_queue, name="promotion-queue"),
    path("promotions/ready/", views.promotion_ready, name="promotion-ready"),
    path("promotions/<int:pk>/", views.promotion_detail, name="promotion-detail"),
    path("promotions/<int:pk>/approve/", views.promotion_approve, name="promotion-approve"),
    path("promotions/<int:pk>/reject/", views.promotion_reject, name="promotion-reject"),
]
