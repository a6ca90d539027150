"""API routes of the ladder: registered on the shared router by careerladder/api_urls.py."""

from tiers.api import views


def register(router) -> None:
    router.register("tiers", views.TierViewSet, basename="tier")
    router.register("competencies", views.CompetencyViewSet, basename="competency")
    router.register("signoffs", views.SignOffViewSet, basename="signoff")
    router.register("tct-logs", views.TctLogViewSet, basename="tct-log")
    router.register("evaluations", views.EvaluationViewSet, basename="evaluation")
    router.register("promotions", views.PromotionViewSet, basename="promotion")
    router.register("tracks", views.TrackViewSet, basename="track")
    router.register("enrolments", views.EnrolmentViewSet, basename="enrolment")
    router.register("leadership-hours", views.LeadershipHoursViewSet, basename="leadership-hours")
    router.register("mentoring-meetings", views.MentoringMeetingViewSet, basename="mentoring-meeting")


# Extra (non-viewset) API paths of this app, mounted under /api/v1/.
urlpatterns: list = []
