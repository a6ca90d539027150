"""Schedule the nightly session housekeeping (``careerladder.core.tasks.sessions_clear_expired``)
in django-celery-beat. Looked up by name, so running it again or after an edit in the admin
never duplicates the entry; the reverse removes the task only."""

from django.conf import settings
from django.db import migrations

TASK_NAME = "Session housekeeping (expired and over-age sessions)"
TASK = "careerladder.core.tasks.sessions_clear_expired"


def schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="30",
        hour="3",
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
            "description": "core: delete expired sessions and sessions past the absolute timeout",
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
        ("core", "0001_user_session"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
