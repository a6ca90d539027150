"""Extra (non-viewset) API paths of the technicians app, mounted under /api/v1/ by
careerladder/api_urls.py (sites, users and technicians are registered on the router there)."""

urlpatterns: list = []
