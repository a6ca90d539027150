"""The defaults of the USP <797> policy and of tech-check-tech, and the media fill's surface sample.

- ``CompetencyPolicy`` (pk=1): USP <797> (official 1 Nov 2023) garbing/gloved-fingertip and media
  fill every 6 months for Category 1 and 2, every 3 months for Category 3, didactic every 12
  months, initial garbing passes consecutive (the model's defaults).
- The default ``TctRule`` (blank state) from the targets the checklist's tech-check-tech item
  holds (seeded with Wis. Admin. Code Phar 7.14: 500 checks, 5 days, 99.8 %); the item's own
  columns are dropped by the next migration, so the rule is the one source.
- ``STERILE_797`` gets the surface sample of the compounding area after the media fill, a CFU
  item passing at 3 CFU or fewer per plate (USP <797> action level for ISO Class 5 surface
  sampling: more than 3 CFU), placed right after the post-media-fill fingertip sample. A
  deployment that removed the competency, or already has such an item, is left alone.
"""

from decimal import Decimal

from django.db import migrations
from django.db.models import F

SURFACE_SAMPLE_TEXT = (
    "Surface sample of the compounding area after the media fill: 3 CFU or fewer per plate (ISO Class 5)"
)


def seed(apps, schema_editor):
    CompetencyPolicy = apps.get_model("competencies", "CompetencyPolicy")
    TctRule = apps.get_model("competencies", "TctRule")
    ChecklistItem = apps.get_model("competencies", "ChecklistItem")
    Competency = apps.get_model("competencies", "Competency")

    CompetencyPolicy.objects.get_or_create(pk=1)

    tct_item = (
        ChecklistItem.objects.filter(measure="tct", tct_min_checks__isnull=False)
        .order_by("-active", "competency_id", "position", "id")
        .first()
    )
    targets = {"min_checks": 500, "min_days": 5, "min_accuracy": Decimal("99.80")}
    if tct_item is not None and tct_item.tct_min_days and tct_item.tct_min_accuracy is not None:
        targets = {
            "min_checks": tct_item.tct_min_checks,
            "min_days": tct_item.tct_min_days,
            "min_accuracy": tct_item.tct_min_accuracy,
        }
    TctRule.objects.get_or_create(state="", defaults={**targets, "ongoing_window_months": 12, "idle_months": 6})

    sterile = Competency.objects.filter(code="STERILE_797").first()
    if sterile is None or sterile.items.filter(text__icontains="surface sample").exists():
        return
    after = (
        sterile.items.filter(measure="cfu", text__icontains="media fill").order_by("-position", "-id").first()
        or sterile.items.order_by("-position", "-id").first()
    )
    position = (after.position if after else 0) + 1
    sterile.items.filter(position__gte=position).update(position=F("position") + 1)
    ChecklistItem.objects.create(
        competency=sterile,
        position=position,
        text=SURFACE_SAMPLE_TEXT,
        measure="cfu",
        max_cfu=3,
        passes_required=1,
        initial_only=False,
        active=True,
    )


class Migration(migrations.Migration):
    dependencies = [("competencies", "0003_policy_and_tct_rules")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
