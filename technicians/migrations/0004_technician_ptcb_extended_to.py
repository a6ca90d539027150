"""Store each technician's latest PTCB extension date on the technician (see the field)."""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def fill_extended_to(apps, schema_editor):
    Technician = apps.get_model("technicians", "Technician")
    PtcbExtension = apps.get_model("certifications", "PtcbExtension")
    latest = PtcbExtension.objects.filter(technician=OuterRef("pk")).order_by("-id").values("extended_to")[:1]
    Technician.objects.filter(ptcb_extensions__isnull=False).update(ptcb_extended_to=Subquery(latest))


class Migration(migrations.Migration):
    dependencies = [
        ("technicians", "0003_import_runs"),
        ("certifications", "0006_input_limits_dates_hours_text"),
    ]

    operations = [
        migrations.AddField(
            model_name="technician",
            name="ptcb_extended_to",
            field=models.DateField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(fill_extended_to, migrations.RunPython.noop, elidable=True),
    ]
