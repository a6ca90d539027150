"""Certification types as PTCB (and the AHA for BLS) publish them; PRODUCT.md section 2.

- CPHT: 24-month cycle, 20 CE h incl. >=1 h law (ACPE topic 03) and >=1 h patient safety (05),
  >=15 h technician-specific (UAN suffix T), pharmacist-specific (P) capped at 5 h; renewal
  window opens 60 days before expiry, application due 30 days before.
- CSPT: requires an active CPhT; renews every 12 months with a supervisor's attestation.
- CPHT_ADV: earned with CPhT + 3 years' work in the last 8 + 4 assessment-based certificates
  (or 3 + CSPT); 24-month cycle with 25 CE h.
- Assessment-based certificates require an active CPhT and do not expire on their own.
- State registration/licence: expiry set per record (each state has its own cycle).
- BLS: 24 months.
"""

from decimal import Decimal

from django.db import migrations

CPHT_RULE = {
    "min_law_hours": Decimal("1"),
    "min_patient_safety_hours": Decimal("1"),
    "renewal_window_opens_days": 60,
    "renewal_due_days": 30,
}

ASSESSMENT = [
    ("TPV", "Technician Product Verification Certificate"),
    ("MED_HISTORY", "Medication History Certificate"),
    ("HD_MGMT", "Hazardous Drug Management Certificate"),
    ("BILLING", "Billing and Reimbursement Certificate"),
    ("CSDP", "Controlled Substances Diversion Prevention Certificate"),
    ("IMMUNIZATION", "Immunization Administration Certificate"),
    ("POCT", "Point-of-Care Testing Certificate"),
    ("MTM", "Medication Therapy Management Certificate"),
    ("REG_COMPLIANCE", "Regulatory Compliance Certificate"),
    ("SUPPLY_CHAIN", "Supply Chain and Inventory Management Certificate"),
    ("NONSTERILE", "Nonsterile Compounding Certificate"),
]


def seed(apps, schema_editor):
    CertificationType = apps.get_model("certifications", "CertificationType")
    OrgPolicy = apps.get_model("certifications", "OrgPolicy")
    OrgPolicy.objects.get_or_create(pk=1, defaults={"ptcb_window_months": 9})

    def upsert(code, **fields):
        obj, _ = CertificationType.objects.update_or_create(code=code, defaults=fields)
        return obj

    cpht = upsert(
        "CPHT",
        name="Certified Pharmacy Technician (CPhT)",
        issuing_body="PTCB",
        category="national",
        validity_months=24,
        ce_hours_required=Decimal("20"),
        min_technician_hours=Decimal("15"),
        max_pharmacist_hours=Decimal("5"),
        **CPHT_RULE,
        renewal_notes="20 CE hours every 2 years: at least 1 h pharmacy law and 1 h patient safety, "
        "at least 15 h technician-specific; pharmacist-specific hours count for at most 5 h.",
    )
    upsert(
        "CSPT",
        name="Compounded Sterile Preparation Technician (CSPT)",
        issuing_body="PTCB",
        category="national",
        validity_months=12,
        requires=cpht,
        requires_attestation=True,
        renewal_window_opens_days=60,
        renewal_due_days=30,
        renewal_notes="Renews every year with a supervisor's attestation of sterile-compounding competency; "
        "requires an active CPhT.",
    )
    upsert(
        "CPHT_ADV",
        name="Advanced Certified Pharmacy Technician (CPhT-Adv)",
        issuing_body="PTCB",
        category="national",
        validity_months=24,
        requires=cpht,
        ce_hours_required=Decimal("25"),
        min_technician_hours=Decimal("15"),
        max_pharmacist_hours=Decimal("5"),
        **CPHT_RULE,
        renewal_notes="Earned with an active CPhT, 3 years of technician work in the last 8 and four "
        "assessment-based certificates (or three plus CSPT); 25 CE hours every 2 years.",
    )
    for code, name in ASSESSMENT:
        upsert(
            code,
            name=name,
            issuing_body="PTCB",
            category="assessment",
            validity_months=None,
            requires=cpht,
            renewal_notes="Assessment-based certificate; stays valid while the CPhT is active.",
        )
    upsert(
        "STATE_REG",
        name="State technician registration / licence",
        issuing_body="State board of pharmacy",
        category="state",
        validity_months=None,
        renewal_window_opens_days=60,
        renewal_due_days=30,
        renewal_notes="Each state sets its own cycle: record the expiry date printed on the registration.",
    )
    upsert(
        "BLS",
        name="Basic Life Support (BLS)",
        issuing_body="American Heart Association",
        category="life_support",
        validity_months=24,
        renewal_window_opens_days=60,
        renewal_due_days=0,
        renewal_notes="Renew the BLS provider course every 2 years; immunizing technicians must keep it current.",
    )


class Migration(migrations.Migration):
    dependencies = [("certifications", "0001_certification_types_and_policy")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
