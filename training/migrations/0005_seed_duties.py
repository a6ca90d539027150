"""Default authorised duties (PRODUCT.md "Authorised duties"; DOMAIN.md).

- Sterile compounding: USP <797> garbing/aseptic technique and didactic training current.
- Product verification (tech-check-tech): a current TCT validation (state TCT programmes
  require a documented validation before a technician checks another's fills).
- Immunization support: the competency and the immunization certificate (APhA/ACPE practical
  training, HHS PREP Act authorisation for technicians).
- Controlled-substance counts: the controlled-substances competency (DEA recordkeeping).
Codes that a deployment has removed are skipped; hr edits duties in the admin.
"""

from django.db import migrations

DUTIES = [
    ("STERILE_COMPOUNDING", "Sterile compounding", "sterile_compounding", ["STERILE_797", "STERILE_DIDACTIC"], []),
    ("PRODUCT_VERIFICATION", "Product verification (tech-check-tech)", "product_verification", ["TCT"], []),
    ("IMMUNIZATION", "Immunization support", "", ["IMMUNIZATION"], ["IMMUNIZATION"]),
    ("CS_COUNTS", "Controlled-substance counts", "", ["CS_HANDLING"], []),
]


def seed(apps, schema_editor):
    Duty = apps.get_model("training", "Duty")
    Competency = apps.get_model("tiers", "Competency")
    CertificationType = apps.get_model("certifications", "CertificationType")
    for code, name, station, competencies, certifications in DUTIES:
        duty, _ = Duty.objects.update_or_create(code=code, defaults={"name": name, "station": station})
        duty.competencies.set(Competency.objects.filter(code__in=competencies))
        duty.certification_types.set(CertificationType.objects.filter(code__in=certifications))


class Migration(migrations.Migration):
    dependencies = [("training", "0004_authorised_duties")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
