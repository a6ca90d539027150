from django.contrib import admin

from careerladder.core.admin import ReadOnlyHistoryAdmin
from training.models import Duty, Program, Rotation, TrainingAssignment


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "category", "ce_hours", "active"]
    list_filter = ["category", "active"]
    search_fields = ["code", "name"]


@admin.register(Duty)
class DutyAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "station", "active"]
    filter_horizontal = ["competencies", "certification_types"]


@admin.register(TrainingAssignment)
class TrainingAssignmentAdmin(ReadOnlyHistoryAdmin):
    list_display = ["technician", "program", "assigned_on", "due_on", "completed_on"]
    list_select_related = ["technician", "program"]
    raw_id_fields = ["technician", "assigned_by"]


@admin.register(Rotation)
class RotationAdmin(ReadOnlyHistoryAdmin):
    list_display = ["technician", "station", "start", "end", "learning_week"]
    list_select_related = ["technician"]
    raw_id_fields = ["technician", "scheduled_by"]
