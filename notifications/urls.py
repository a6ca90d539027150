"""Notification pages and the calendar feed (mounted at the site root by careerladder/urls.py)."""

from django.urls import path

from notifications import views

app_name = "notifications"
urlpatterns = [
    path("notifications/", views.notification_list, name="list"),
    path("notifications/<int:pk>/read/", views.notification_read, name="read"),
    path("notifications/read-all/", views.notification_read_all, name="read-all"),
    path("notifications/calendar/", views.calendar_page, name="calendar"),
    path("notifications/calendar/link/", views.calendar_link, name="calendar-link"),
    # No login: the token is the secret. Unknown or replaced tokens answer 404.
    path("calendar/<slug:token>.ics", views.calendar_feed, name="calendar-feed"),
]
