"""Django admin of tracks, positions, enrolments, leadership hours and mentoring meetings."""

from django.contrib import admin

from careerladder.core.admin import ReadOnlyHistoryAdmin
from tracks.models import Enrolment, LeadershipHourLog, MentoringMeeting, Track, TrackPosition


class TrackPositionInline(admin.StackedInline):
    model = TrackPosition
    extra = 0
    filter_horizontal = ["required_competencies", "required_certifications"]


@admin.register(Track)
class TrackAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind"]
    inlines = [TrackPositionInline]


@admin.register(Enrolment)
class EnrolmentAdmin(ReadOnlyHistoryAdmin):
    list_display = ["technician", "track", "position", "enrolled_on", "status"]
    list_filter = ["track", "status"]
    raw_id_fields = ["technician", "enrolled_by"]


@admin.register(LeadershipHourLog)
class LeadershipHourLogAdmin(admin.ModelAdmin):
    list_display = ["technician", "kind", "worked_on", "hours"]
    list_filter = ["kind"]
    raw_id_fields = ["technician", "recorded_by"]


@admin.register(MentoringMeeting)
class MentoringMeetingAdmin(admin.ModelAdmin):
    list_display = ["mentee", "mentor", "met_on", "minutes"]
    raw_id_fields = ["mentee", "mentor", "recorded_by"]
