"""Schedule the nightly incentive-trigger check in django-celery-beat.

Idempotent like metrics' schedule: looked up by name, never duplicated; the reverse removes
the task only.
"""

from django.conf import settings
from django.db import migrations

TASK_NAME = "Nightly incentive triggers (CPhT within window, promotion, CE completion)"
TASK = "certifications.tasks.incentive_triggers_nightly"


def schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="45",
        hour="1",
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone=settings.TIME_ZONE,
    )
    task, created = PeriodicTask.objects.get_or_create(
        name=TASK_NAME,
        defaults={"task": TASK, "crontab": crontab, "enabled": True, "description": "certifications: incentives"},
    )
    if not created and task.task != TASK:
        task.task = TASK
        task.save(update_fields=["task"])


def unschedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("certifications", "0004_seed_incentive_programs"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
