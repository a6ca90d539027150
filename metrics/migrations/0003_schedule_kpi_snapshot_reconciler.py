"""Schedule the hourly KPI snapshot reconciler in django-celery-beat.

It queues every snapshot that should exist and does not, and the recomputes that could not be
queued while the broker was down (``metrics.services.kpi_snapshots_reconcile``). Idempotent
like 0002: looked up by name, so running it again or after an edit in the admin never
duplicates the entry; the reverse removes the task only.
"""

from django.conf import settings
from django.db import migrations

TASK_NAME = "KPI snapshot reconciler (queue missing snapshots)"
TASK = "metrics.tasks.kpi_snapshots_reconcile"


def schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="40",
        hour="*",
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone=settings.TIME_ZONE,
    )
    task, created = PeriodicTask.objects.get_or_create(
        name=TASK_NAME,
        defaults={
            "task": TASK,
            "crontab": crontab,
            "enabled": True,
            "description": "metrics: queue KPI snapshots that should exist and do not",
        },
    )
    if not created and task.task != TASK:
        task.task = TASK
        task.save(update_fields=["task"])


def unschedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0002_schedule_nightly_kpi_snapshots"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
