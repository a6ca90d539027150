"""API routes of incentives: registered on the shared router by careerladder/api_urls.py."""

from incentives.api import views


def register(router) -> None:
    router.register("incentive-programs", views.IncentiveProgramViewSet, basename="incentive-program")
    router.register("incentives", views.IncentiveViewSet, basename="incentive")


urlpatterns: list = []
