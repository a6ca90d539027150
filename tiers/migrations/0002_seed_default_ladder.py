"""The default ladder, from DOMAIN.md section 1.2 (a synthesis of the VA, UC and Northside
ladders). Expected months in tier use the upper ends of the ranges seen (Tech I 9-12,
Tech II 18-24, Tech III 24-36); promotion floors follow the VA's one-year-per-grade rule."""

from decimal import Decimal

from django.db import migrations

LADDER = [
    {
        "code": "TECH1",
        "name": "Pharmacy Technician I",
        "rank": 1,
        "expected_months": 12,
        "min_evaluation_average": None,
        "min_months_in_prior_tier": None,
        "duties": "Prescription intake, filling under supervision, ADC restock, receiving and inventory "
        "control under supervision, deliveries.",
    },
    {
        "code": "TECH2",
        "name": "Pharmacy Technician II",
        "rank": 2,
        "expected_months": 24,
        "min_evaluation_average": Decimal("3.00"),
        "min_months_in_prior_tier": 6,
        "duties": "Order entry and insurance billing, reject resolution, non-sterile compounding, "
        "controlled-substance handling, mentoring new hires.",
    },
    {
        "code": "TECH3",
        "name": "Pharmacy Technician III",
        "rank": 3,
        "expected_months": 36,
        "min_evaluation_average": Decimal("3.50"),
        "min_months_in_prior_tier": 12,
        "duties": "Owns a specialty (sterile compounding per USP <797>, automation, narcotics/340B, medication "
        "history), vendor communication, precepting, tech-check-tech where state law allows.",
    },
    {
        "code": "LEAD",
        "name": "Lead Pharmacy Technician",
        "rank": 4,
        "expected_months": 48,
        "min_evaluation_average": Decimal("3.50"),
        "min_months_in_prior_tier": 12,
        "duties": "Scheduling and workflow, training junior staff, liaison between technicians and pharmacists, "
        "quality assurance, mentoring, input to appraisals.",
    },
]


def seed(apps, schema_editor):
    Tier = apps.get_model("tiers", "Tier")
    for row in LADDER:
        Tier.objects.update_or_create(code=row["code"], defaults=row)


def unseed(apps, schema_editor):
    Tier = apps.get_model("tiers", "Tier")
    Tier.objects.filter(code__in=[r["code"] for r in LADDER], assignments__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("tiers", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
