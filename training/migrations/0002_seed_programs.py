"""Default training programmes (PRODUCT.md "Tracks" and "Training"; DOMAIN.md sections 2-3).

CE hours follow typical ACPE activity lengths; hr edits them to match the courses they buy.
"""

from decimal import Decimal

from django.db import migrations

PROGRAMS = [
    (
        "IMMUNIZATION_SUPPORT",
        "Immunization support",
        "clinical",
        Decimal("20"),
        "ACPE practical immunization course for technicians: injection technique, emergency response, "
        "vaccine storage and documentation (HHS PREP Act guidance).",
    ),
    (
        "HEALTH_SCREENINGS",
        "Health screenings (blood pressure, glucose)",
        "clinical",
        Decimal("4"),
        "CLIA-waived point-of-care testing, patient identification, QC and result recording.",
    ),
    (
        "MED_RECONCILIATION",
        "Medication history and reconciliation",
        "clinical",
        Decimal("6"),
        "Structured patient interviews, two-source verification, EHR entry for pharmacist review.",
    ),
    (
        "SCHEDULING_WORKFLOW",
        "Scheduling and workflow",
        "management",
        None,
        "Building schedules from peak-time reports, pharmacist-to-technician ratios, station assignment.",
    ),
    (
        "COMMUNICATION_CONFLICT",
        "Communication and conflict resolution",
        "management",
        Decimal("2"),
        "Difficult conversations, de-escalation with patients and staff, giving feedback.",
    ),
    (
        "INVENTORY_VENDOR",
        "Inventory and vendor management",
        "management",
        Decimal("3"),
        "Par levels, wholesaler orders, shortages, DSCSA records, returns and recalls.",
    ),
    (
        "BUDGET_METRICS",
        "Budgeting and operational metrics",
        "management",
        None,
        "Labour budget, inventory turns, fill times and reject rates: reading and acting on the numbers.",
    ),
    (
        "USP797_STERILE",
        "USP <797> sterile compounding",
        "cross_training",
        Decimal("10"),
        "Didactic training, garbing and hand hygiene, aseptic technique, media fill and fingertip sampling.",
    ),
    (
        "AUTOMATION_ROBOTICS",
        "Pharmacy automation and robotic dispensing",
        "cross_training",
        None,
        "ADC restock and discrepancies, counting robots, downtime procedures.",
    ),
    (
        "TECH_CHECK_TECH",
        "Tech-check-tech (product verification)",
        "cross_training",
        Decimal("2"),
        "Error types, barcode verification, validation of 500 checks at 99.8 % accuracy or better.",
    ),
    (
        "SPECIALTY_MAIL_ORDER",
        "Specialty and mail-order workflows",
        "cross_training",
        None,
        "Benefits investigation, prior authorisation, cold-chain shipping, patient onboarding calls.",
    ),
]


def seed(apps, schema_editor):
    Program = apps.get_model("training", "Program")
    for code, name, category, hours, description in PROGRAMS:
        Program.objects.update_or_create(
            code=code, defaults={"name": name, "category": category, "ce_hours": hours, "description": description}
        )


class Migration(migrations.Migration):
    dependencies = [("training", "0001_programs_and_assignments")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
