"""Schedule the nightly KPI snapshots (current and previous month) in django-celery-beat.

Idempotent: the schedule and the task are looked up by their natural keys and updated, so
running it again (or after hr edited the time in the admin) never duplicates them; the
reverse removes the task only.
"""

from django.conf import settings
from django.db import migrations

TASK_NAME = "Nightly KPI snapshots (current and previous month)"
TASK = "metrics.tasks.kpi_snapshots_nightly"


def schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="15",
        hour="2",
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone=settings.TIME_ZONE,
    )
    task, created = PeriodicTask.objects.get_or_create(
        name=TASK_NAME,
        defaults={"task": TASK, "crontab": crontab, "enabled": True, "description": "metrics: KPI snapshots"},
    )
    if not created and task.task != TASK:
        task.task = TASK
        task.save(update_fields=["task"])


def unschedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0001_kpi_snapshots_and_recompute_runs"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
