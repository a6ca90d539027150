"""Certification pages (mounted at the site root by careerladder/urls.py)."""

app_name = "certifications"
urlpatterns: list = []
