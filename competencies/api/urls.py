"""API routes of competencies and sign-offs: registered on the shared router by careerladder/api_urls.py."""

from competencies.api import views


def register(router) -> None:
    router.register("competencies", views.CompetencyViewSet, basename="competency")
    router.register("signoffs", views.SignOffViewSet, basename="signoff")
    router.register("tct-logs", views.TctLogViewSet, basename="tct-log")
