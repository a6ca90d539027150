"""Ladder pages (mounted at the site root by careerladder/urls.py)."""

app_name = "tiers"
urlpatterns: list = []
