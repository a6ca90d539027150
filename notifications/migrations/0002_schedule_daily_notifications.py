"""Schedule the daily notification run (06:00 in the organisation's time zone) in
django-celery-beat, so that digests arrive before the morning shift.

Idempotent: the schedule and the task are looked up by their natural keys and updated, so
running it again (or after someone edited the time in the admin) never duplicates them; the
reverse removes the task only.
"""

from django.conf import settings
from django.db import migrations

TASK_NAME = "Daily notifications and e-mail digests"
TASK = "notifications.tasks.notifications_daily"


def schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="0",
        hour="6",
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone=settings.TIME_ZONE,
    )
    task, created = PeriodicTask.objects.get_or_create(
        name=TASK_NAME,
        defaults={"task": TASK, "crontab": crontab, "enabled": True, "description": "notifications: daily run"},
    )
    if not created and task.task != TASK:
        task.task = TASK
        task.save(update_fields=["task"])


def unschedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0001_notices_digests_calendar_feeds"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
