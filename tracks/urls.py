"""Track and mentoring pages (mounted at the site root by careerladder/urls.py)."""

from django.urls import path

from tracks import views

app_name = "tracks"
urlpatterns = [
    path("tracks/", views.tracks, name="tracks"),
    path("tracks/enrol/", views.enrol, name="enrol"),
    path("enrolments/<int:pk>/withdraw/", views.enrolment_withdraw, name="enrolment-withdraw"),
    path("enrolments/<int:pk>/complete/", views.enrolment_complete, name="enrolment-complete"),
    path("mentoring/", views.mentoring, name="mentoring"),
]
