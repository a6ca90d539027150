"""The nightly incentive check's beat entry names the task where it lives now."""

from django.db import migrations

OLD = "certifications.tasks.incentive_triggers_nightly"
NEW = "incentives.tasks.incentive_triggers_nightly"


def rename(apps, schema_editor, *, source, target):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(task=source).update(task=target)


class Migration(migrations.Migration):
    dependencies = [
        ("incentives", "0002_tables_renamed"),
        ("certifications", "0005_schedule_nightly_incentive_check"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.RunPython(
            lambda apps, editor: rename(apps, editor, source=OLD, target=NEW),
            lambda apps, editor: rename(apps, editor, source=NEW, target=OLD),
        )
    ]
