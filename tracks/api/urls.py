"""API routes of tracks and mentoring: registered on the shared router by careerladder/api_urls.py."""

from tracks.api import views


def register(router) -> None:
    router.register("tracks", views.TrackViewSet, basename="track")
    router.register("enrolments", views.EnrolmentViewSet, basename="enrolment")
    router.register("leadership-hours", views.LeadershipHoursViewSet, basename="leadership-hours")
    router.register("mentoring-meetings", views.MentoringMeetingViewSet, basename="mentoring-meeting")
