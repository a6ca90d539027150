"""API routes of the ladder: registered on the shared router by careerladder/api_urls.py."""

from tiers.api import views


def register(router) -> None:
    router.register("tiers", views.TierViewSet, basename="tier")
    router.register("evaluations", views.EvaluationViewSet, basename="evaluation")
    router.register("promotions", views.PromotionViewSet, basename="promotion")


# Extra (non-viewset) API paths of this app, mounted under /api/v1/.
urlpatterns: list = []
