"""API routes of the ladder: registered on the shared router by careerladder/api_urls.py."""

from tiers.api.views import TierViewSet


def register(router) -> None:
    router.register("tiers", TierViewSet, basename="tier")


# Extra (non-viewset) API paths of this app, mounted under /api/v1/.
urlpatterns: list = []
