"""API routes of certifications: registered on the shared router by careerladder/api_urls.py."""


def register(router) -> None:
    """Register this app's viewsets (certification-types/, certifications/, …)."""


# Extra (non-viewset) API paths of this app, mounted under /api/v1/.
urlpatterns: list = []
