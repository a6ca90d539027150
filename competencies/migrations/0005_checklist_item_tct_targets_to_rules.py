"""ChecklistItem loses its tech-check-tech targets: the state rules (``TctRule``, seeded by 0004
from the item's values) hold them."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("competencies", "0004_seed_policy_tct_rule_surface_sample")]

    operations = [
        migrations.RemoveConstraint(
            model_name="checklistitem",
            name="checklist_item_tct_has_targets",
        ),
        migrations.RemoveField(
            model_name="checklistitem",
            name="tct_min_accuracy",
        ),
        migrations.RemoveField(
            model_name="checklistitem",
            name="tct_min_checks",
        ),
        migrations.RemoveField(
            model_name="checklistitem",
            name="tct_min_days",
        ),
        migrations.RemoveField(
            model_name="historicalchecklistitem",
            name="tct_min_accuracy",
        ),
        migrations.RemoveField(
            model_name="historicalchecklistitem",
            name="tct_min_checks",
        ),
        migrations.RemoveField(
            model_name="historicalchecklistitem",
            name="tct_min_days",
        ),
    ]
