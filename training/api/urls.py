"""API routes of training: registered on the shared router by careerladder/api_urls.py."""

from django.urls import path

from training.api import views


def register(router) -> None:
    router.register("programs", views.ProgramViewSet, basename="program")
    router.register("training-assignments", views.TrainingAssignmentViewSet, basename="training-assignment")
    router.register("rotations", views.RotationViewSet, basename="rotation")


# Extra (non-viewset) API paths of this app, mounted under /api/v1/.
urlpatterns: list = [
    path("training-matrix/", views.TrainingMatrixView.as_view(), name="training-matrix"),
]
